"""Notifier fan-out: CHANGES risk changes over PEOPLE owners with digests on, to local receivers.

Starts the embedded MongoDB-compatible server and a local HTTP receiver (a thread of its own,
answering 200 on keep-alive). Half the people use Slack, half signed webhooks, each owns
CHANGES/PEOPLE items; a tenth of them also follow a team by webhook. Every change is routed
through the notifier's own ``DigestRouter`` and the digests are delivered by its own
``OutboxWorker``; the clock is moved past the 300 s window instead of waiting for it. Prints
routing throughput, the time from the last change to the last message received, messages
sent, and beside it the same run's floor: the same number of bare POSTs from one client.
Routing is also given per batch, as medians over the first and the last tenth of the batches
and their ratio: near 1 when a batch costs the same however full the open windows are.

Run: ``python -m bench.notifier_fanout [CHANGES PEOPLE CONCURRENCY]`` (defaults 10000 1000 8).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from opentelemetry.metrics import NoOpMeter
from opentelemetry.trace import NoOpTracer
from pymongo import AsyncMongoClient

from services.cli.embedded import start_mongo
from services.notifier.adapters.channels import HttpChannels
from services.notifier.adapters.digests import DIGESTS, TOLD, MongoDigestWindows, MongoToldLevels
from services.notifier.adapters.directory import MongoDirectory
from services.notifier.adapters.outbox import MongoOutbox
from services.notifier.digest_router import DigestRouter
from services.notifier.domain.change import Change
from services.notifier.domain.throttle import ThrottlePolicy
from services.notifier.outbox_worker import OutboxWorker
from services.notifier.schemas import PersonBody, SubscriptionBody
from shared.events import RiskLevel

T0 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
SECRET = "whsec_dGVzdC1zZWNyZXQ="
TEAMS = 20
BATCH = 50  # NOTIFIER_BATCH_SIZE's default


class Receiver:
    def __init__(self) -> None:
        self.count = 0
        self.last_at = 0.0
        self.lock = threading.Lock()

    def start(self) -> tuple[str, ThreadingHTTPServer]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", "0")))
                with receiver.lock:
                    receiver.count += 1
                    receiver.last_at = time.monotonic()
                # One write: split header and body segments meet delayed ACKs (40 ms each).
                self.wfile.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{server.server_address[1]}", server


def change(n: int, people: int) -> Change:
    owner = n % people
    return Change(
        cause_id=f"risk-{n}", item_id=f"github:acme/web#{n}", level=RiskLevel.OFF_TRACK,
        previous_level=RiskLevel.ON_TRACK, owner=f"github:p{owner}", title=f"Item {n}",
        target=date(2026, 12, 10), forecast=date(2026, 12, 20), slip_days=10,
        reasons=("blocked by github:acme/web#0, which slipped 10 days",),
        chain=("github:acme/web#0", f"github:acme/web#{n}"), team=f"team-{n % TEAMS}",
    )  # fmt: skip


async def seed(directory: MongoDirectory, people: int, url: str) -> None:
    for p in range(people):
        if p % 2:
            channels: dict[str, Any] = {"webhook": {"url": f"{url}/p{p}", "secret": SECRET}}
        else:
            channels = {"slack": {"webhook_url": f"{url}/slack/p{p}"}}
        body = {"name": f"P{p}", "identities": [f"github:p{p}"], "channels": channels}
        await directory.put_person(f"p{p}", PersonBody.model_validate(body))
        if p % 10 == 1:
            await directory.add_subscription(
                SubscriptionBody.model_validate(
                    {
                        "person_id": f"p{p}",
                        "channel": "webhook",
                        "filter": {"team": f"team-{p % TEAMS}"},
                    }
                )
            )


async def floor(url: str, count: int) -> float:
    async with httpx.AsyncClient() as client:
        started = time.perf_counter()
        for n in range(count):
            await client.post(f"{url}/floor/{n % 50}", content=b"{}")
        return time.perf_counter() - started


async def drain(worker: OutboxWorker, receiver: Receiver, outbox: MongoOutbox) -> datetime:
    """Tick with the clock past every window until nothing is due or pending."""
    now = T0 + timedelta(seconds=301)
    while True:
        await worker.tick(now, batch=500)
        pending = await outbox.collection.count_documents(
            {"status": {"$in": ["pending", "retrying"]}}
        )
        due = await worker.windows.collection.count_documents({})
        if pending == 0 and due == 0:
            return now
        now += timedelta(seconds=2)  # past Slack's spacing, so held messages fall due


async def main(changes: int, people: int, concurrency: int) -> None:
    with tempfile.TemporaryDirectory() as data:
        server = start_mongo(Path(data))
        receiver = Receiver()
        url, http = receiver.start()
        mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(server.url, tz_aware=True)
        try:
            db = mongo["fanout"]
            directory = MongoDirectory(db)
            windows, told = MongoDigestWindows(db[DIGESTS]), MongoToldLevels(db[TOLD])
            outbox = MongoOutbox(db["notifications"])
            await outbox.ensure_indexes()
            await windows.ensure_indexes()
            await seed(directory, people, url)
            router = DigestRouter(directory, windows, told)
            started = time.perf_counter()
            per_batch: list[float] = []
            for first in range(0, changes, BATCH):  # as the consumer hands them over
                batch = [change(n, people) for n in range(first, min(first + BATCH, changes))]
                began = time.perf_counter()
                await router.route_batch(batch, T0 + timedelta(milliseconds=first))
                per_batch.append(time.perf_counter() - began)
            routed = time.perf_counter() - started
            async with HttpChannels(10.0) as http:
                worker = OutboxWorker(
                    directory, windows, told, outbox, http, None,
                    ThrottlePolicy(limit=5, window_seconds=3600), NoOpTracer(), NoOpMeter("b"),
                    concurrency,
                )  # fmt: skip
                last_change = time.monotonic()
                await drain(worker, receiver, outbox)
            sent = receiver.count
            drained = receiver.last_at - last_change
            baseline = await floor(url, sent)
        finally:
            await mongo.close()
            http.shutdown()
            server.process.stop()
    print(f"changes {changes}  people {people}  concurrency {concurrency}")
    print(f"routing: {routed:.2f} s  ({changes / routed:,.0f} changes/s)")
    tenth = max(1, len(per_batch) // 10)
    early, late = statistics.median(per_batch[:tenth]), statistics.median(per_batch[-tenth:])
    print(f"routing per batch of {BATCH}: median {statistics.median(per_batch) * 1000:.0f} ms; "
          f"first tenth {early * 1000:.0f} ms, last tenth {late * 1000:.0f} ms "
          f"(last/first {late / early:.2f})")  # fmt: skip
    print(f"last change -> last message: {drained:.2f} s  messages sent: {sent}")
    print(f"delivery throughput: {sent / drained:,.0f} messages/s")
    print(f"floor, {sent} bare sequential POSTs to the same receiver: {baseline:.2f} s "
          f"({sent / baseline:,.0f}/s)")  # fmt: skip


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:4]]
    defaults = [10_000, 1_000, 8]
    asyncio.run(main(*(args + defaults[len(args) :])))
