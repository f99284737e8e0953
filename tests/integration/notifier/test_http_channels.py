"""The HTTP channel against real local receivers: what each answer becomes, what is never done."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from services.notifier.adapters.channels import HttpChannels
from tests.support.receivers import Sink, http_sink

pytestmark = pytest.mark.integration


@contextmanager
def redirecting_to(target: str) -> Iterator[str]:
    """A receiver that answers every POST with a 307 to ``target``."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", "0")))
            self.send_response(307)
            self.send_header("location", target)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def sink() -> Iterator[Sink]:
    with http_sink() as receiver:
        yield receiver


async def test_a_redirect_is_an_answer_not_a_second_destination(sink: Sink) -> None:
    with redirecting_to(f"{sink.url}/elsewhere") as url:
        async with HttpChannels(5.0) as http:
            result = await http.post(url, {"content-type": "application/json"}, b"{}")
    assert (result.status_code, result.error) == (307, "HTTP 307")
    assert sink.snapshot() == [], "the secret-signed body never went where it was redirected"


async def test_successive_sends_share_one_pool_and_each_succeeds(sink: Sink) -> None:
    async with HttpChannels(5.0) as http:
        first = await http.post(f"{sink.url}/a", {}, b"1")
        second = await http.post(f"{sink.url}/b", {}, b"2")
    assert (first.status_code, first.error, second.status_code) == (200, None, 200)
    assert [r.path for r in sink.snapshot()] == ["/a", "/b"]


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/closed", "not a url", "ftp://example/x"])
async def test_an_unreachable_or_unusable_destination_is_a_failed_attempt(url: str) -> None:
    async with HttpChannels(2.0) as http:
        result = await http.post(url, {}, b"{}")
    assert result.status_code is None
    assert result.error


async def test_a_proxy_from_the_environment_carries_the_send_unless_the_host_is_exempt(
    sink: Sink, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The sink stands in for the proxy: a proxied request names its whole target URL.
    monkeypatch.setenv("HTTP_PROXY", sink.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    async with HttpChannels(5.0) as http:
        proxied = await http.post("http://hooks.example.invalid/slack", {}, b"{}")
        direct = await http.post(f"{sink.url}/direct", {}, b"{}")
    assert (proxied.status_code, direct.status_code) == (200, 200)
    paths = [r.path for r in sink.snapshot()]
    assert paths == ["http://hooks.example.invalid/slack", "/direct"]
