"""Many destinations at once through a bounded pool; one destination strictly in order.

The slow receiver holds each request until a second one is in flight (or a short bound
passes) and records the most it ever held at once, so overlap is observed, not timed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from opentelemetry.metrics import NoOpMeter
from opentelemetry.trace import NoOpTracer

from services.notifier.adapters.channels import HttpChannels
from services.notifier.adapters.digests import DIGESTS, TOLD, MongoDigestWindows, MongoToldLevels
from services.notifier.adapters.directory import MongoDirectory
from services.notifier.adapters.outbox import MongoOutbox
from services.notifier.domain.throttle import ThrottlePolicy
from services.notifier.outbox_worker import OutboxWorker

pytestmark = pytest.mark.integration
T0 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


class SlowReceiver:
    def __init__(self) -> None:
        self.url = ""
        self.in_flight = 0
        self.most_in_flight = 0
        self.received: list[str] = []
        self.changed = threading.Condition()

    def hold(self, path: str) -> None:
        with self.changed:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self.changed.notify_all()
            self.changed.wait_for(lambda: self.in_flight >= 2, timeout=1.0)
            self.received.append(path)
            self.in_flight -= 1


@contextmanager
def slow_receiver() -> Iterator[SlowReceiver]:
    receiver = SlowReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", "0")))
            receiver.hold(f"{self.path} {self.headers.get('x-slipstream-message-id')}")
            self.send_response(200)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def db(fresh_database: Any) -> Any:
    return fresh_database


def worker(db: Any, http: HttpChannels, concurrency: int) -> OutboxWorker:
    return OutboxWorker(
        MongoDirectory(db), MongoDigestWindows(db[DIGESTS]), MongoToldLevels(db[TOLD]),
        MongoOutbox(db["notifications"]), http, None,
        ThrottlePolicy(limit=100, window_seconds=3600), NoOpTracer(), NoOpMeter("test"),
        concurrency,
    )  # fmt: skip


async def record(db: Any, message_id: str, channel: str, destination: str) -> None:
    message = {"_id": message_id, "person_id": "p", "channel": channel}
    message |= {"destination": destination, "event_type": "notify.digest", "payload": {}}
    await MongoOutbox(db["notifications"]).record_all([message], T0)


@pytest.mark.parametrize(("concurrency", "overlap"), [(8, 2), (1, 1)])
async def test_two_destinations_are_served_at_once_up_to_the_pool_size(
    db: Any, concurrency: int, overlap: int
) -> None:
    with slow_receiver() as slow:
        await record(db, "m-a", "slack", slow.url + "/a")
        await record(db, "m-b", "slack", slow.url + "/b")
        async with HttpChannels(5.0) as http:
            assert await worker(db, http, concurrency).tick(T0) == 2
    assert slow.most_in_flight == overlap
    assert sorted(slow.received) == ["/a m-a", "/b m-b"]


async def test_one_destination_is_served_in_order_at_slacks_pace(db: Any) -> None:
    with slow_receiver() as slow:
        for index in range(3):
            await record(db, f"m-{index}", "slack", slow.url + "/one")
        async with HttpChannels(5.0) as http:
            pool = worker(db, http, 8)
            assert await pool.tick(T0) == 1, "the rest wait a second behind the first"
            assert await pool.tick(T0 + timedelta(milliseconds=500)) == 0
            assert await pool.tick(T0 + timedelta(seconds=1, milliseconds=1)) == 1
            assert await pool.tick(T0 + timedelta(seconds=2, milliseconds=2)) == 1
    assert slow.most_in_flight == 1
    assert slow.received == ["/one m-0", "/one m-1", "/one m-2"]
