"""Signing in to the dashboard: a token becomes an HttpOnly cookie; without one, no data."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.cli.stack import Stack
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_a_visitor_signs_in_reads_the_board_and_signs_out(chromium: Any, stack: Stack) -> None:
    context = chromium.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{stack.urls['scheduler']}/")
    assert page.url == f"{stack.urls['scheduler']}/signin"  # no session: the sign-in form
    sign_in(page, stack)
    page.goto(f"{stack.urls['scheduler']}/")
    page.wait_for_selector("#rows tr[data-item]", timeout=30_000)
    cookies = {c["name"]: c for c in context.cookies()}
    session = cookies["slipstream_session"]
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Strict"
    assert stack.admin_token not in str(cookies)
    assert page.evaluate("document.cookie").find("slipstream_session") == -1
    page.click("#signout")
    page.wait_for_url(f"{stack.urls['scheduler']}/signin")
    status = page.evaluate("fetch('/risk').then(r => r.status)")
    assert status == 401
    context.close()
    assert [e for e in errors if "401" not in e] == []  # the last fetch's 401 is expected


def test_a_bad_token_is_refused_on_the_form(chromium: Any, stack: Stack) -> None:
    context = chromium.new_context()
    page = context.new_page()
    page.goto(f"{stack.urls['scheduler']}/signin")
    page.fill("#token", "sst_not-a-real-token")
    page.click("button[type=submit]")
    page.wait_for_selector("[role=alert]")
    assert "not valid" in page.inner_text("[role=alert]")
    assert context.cookies() == []
    context.close()


def test_the_dashboard_forbids_inline_script_and_framing(stack: Stack) -> None:
    response = httpx.get(f"{stack.urls['scheduler']}/signin")
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


def test_a_cross_site_sign_out_is_refused(stack: Stack) -> None:
    with httpx.Client(base_url=stack.urls["scheduler"]) as client:
        form = {"token": stack.admin_token}
        assert client.post("/signin", data=form).status_code == 303
        assert client.get("/risk").status_code == 200  # the cookie alone reads
        assert client.post("/signout").status_code == 403  # no CSRF token echoed
        csrf = client.cookies["slipstream_csrf"]
        assert client.post("/signout", headers={"X-CSRF-Token": csrf}).status_code == 204
