"""The session cookie's flags: HttpOnly and SameSite=Strict always, Secure over https."""

from __future__ import annotations

import pytest
from fastapi import Request, Response

from services.scheduler.dashboard.signin import same_origin, set_cookies

pytestmark = pytest.mark.unit


def request(scheme: str, origin: str | None = None) -> Request:
    headers = [(b"host", b"dash.example")]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    scope = {"type": "http", "scheme": scheme, "method": "POST", "path": "/signin",
             "headers": headers, "query_string": b"", "server": ("dash.example", 443)}  # fmt: skip
    return Request(scope)


def cookies(scheme: str) -> dict[str, str]:
    response = Response()
    set_cookies(response, request(scheme), "session-id")
    lines = [v.decode() for k, v in response.raw_headers if k == b"set-cookie"]
    return {line.split("=", 1)[0]: line for line in lines}


def test_over_https_both_cookies_are_secure_and_only_the_session_is_http_only() -> None:
    found = cookies("https")
    assert "Secure" in found["slipstream_session"]
    assert "HttpOnly" in found["slipstream_session"]
    assert "SameSite=strict" in found["slipstream_session"]
    assert "Secure" in found["slipstream_csrf"]
    assert "HttpOnly" not in found["slipstream_csrf"]  # the page reads it to echo it


def test_over_plain_http_the_cookie_cannot_be_secure() -> None:
    assert "Secure" not in cookies("http")["slipstream_session"]


def test_a_sign_in_posted_from_another_origin_is_refused() -> None:
    assert same_origin(request("https", "https://dash.example"))
    assert same_origin(request("https"))  # no Origin: not a browser's cross-site form
    assert not same_origin(request("https", "https://evil.example"))
    assert not same_origin(request("https", "null"))
