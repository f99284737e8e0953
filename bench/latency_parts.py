"""Pieces of ``bench.pipeline_latency``: paced signed posts, a receiver, the NATS floor."""

from __future__ import annotations

import asyncio
import itertools
import json
import statistics
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import aiohttp
import nats

from services.cli.demo import GitHubDelivery, issue, milestone, repository
from shared.events import ItemChangedV1, RiskChangedV1
from shared.subjects import INGEST_NORMALISER, NOTIFIER_RISK, RISK, SCHEDULER_WORK, WORK

REPO = "acme/bench"


def overdue_issue(number: int) -> tuple[str, GitHubDelivery]:
    """A new issue whose own milestone was due yesterday: one item, one risk change."""
    now = datetime.now(UTC).replace(microsecond=0)
    due = milestone(REPO, number, f"Milestone {number}", date.today() - timedelta(days=1), now)
    body = issue(REPO, number, f"Issue {number}", now, due, "bench")
    delivery = GitHubDelivery(
        "issues", {"action": "opened", "issue": body, "repository": repository(REPO)}
    )
    return f"github:{REPO}#{number}", delivery


@dataclass
class Arrivals:
    """When each item's first notification arrived (monotonic seconds)."""

    at: dict[str, float] = field(default_factory=dict)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def record(self, item_id: str) -> None:
        self.at.setdefault(item_id, time.monotonic())
        self.changed.set()

    async def until_all(self, items: Iterable[str]) -> None:
        missing = set(items)
        while missing := {item for item in missing if item not in self.at}:
            self.changed.clear()
            await self.changed.wait()

    def latency(self, item_id: str, accepted_at: float) -> float | None:
        arrived = self.at.get(item_id)
        return None if arrived is None else arrived - accepted_at


async def _serve(
    arrivals: Arrivals, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    # Just enough HTTP/1.1 for the notifier's keep-alive POSTs; a bench, not a server.
    with suppress(asyncio.IncompleteReadError, ConnectionError):
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ),
                0,
            )
            body = await reader.readexactly(length)
            arrivals.record(json.loads(body)["data"]["item_id"])
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            await writer.drain()
    writer.close()


@asynccontextmanager
async def receiver(arrivals: Arrivals) -> AsyncIterator[str]:
    handlers: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handler = asyncio.current_task()
        assert handler is not None
        handlers[handler] = writer
        await _serve(arrivals, reader, writer)
        handlers.pop(handler, None)

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        # Closing the connections ends their handlers' reads; cancelling them would be noisy.
        for writer in handlers.values():
            writer.close()
        if handlers:
            await asyncio.wait(list(handlers), timeout=2)


async def post_paced(
    url: str, deliveries: Sequence[tuple[str, GitHubDelivery]], secret: str, rate: float
) -> dict[str, float]:
    """Post at ``rate``/s on schedule (not waiting on each other); item → when its 202 came.

    With aiohttp: a vendor's deliveries come from elsewhere, and httpx's CPU per request in
    this process (about 2 ms more) would be taken from the machine the stack is measured on.
    """
    accepted: dict[str, float] = {}
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as session:

        async def post(item_id: str, delivery: GitHubDelivery, at: float) -> None:
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            body, headers = delivery.signed(secret)
            try:
                async with session.post(url, data=body, headers=headers) as response:
                    if response.status == 202:
                        accepted[item_id] = time.monotonic()
            except (aiohttp.ClientError, TimeoutError):
                return  # ingest did not answer in time: counted as lost, the run goes on

        start = time.monotonic()
        await asyncio.gather(*(post(i, d, start + n / rate) for n, (i, d) in enumerate(deliveries)))
    return accepted


async def floor_latencies(nats_url: str, rate: float, duration: float) -> list[float]:
    """Bare JetStream publish (acked) → receipt by a pull consumer, paced at ``rate``/s."""
    client = await nats.connect(nats_url)
    js = client.jetstream()
    name = f"BENCH_FLOOR_{int(rate)}"
    await js.add_stream(name=name, subjects=[f"bench.floor.{int(rate)}"])
    subscription = await js.pull_subscribe(f"bench.floor.{int(rate)}", durable="floor", stream=name)
    sent: dict[int, float] = {}
    received: dict[int, float] = {}
    count = int(rate * duration)

    async def consume() -> None:
        while len(received) < count:
            with suppress(TimeoutError):
                for message in await subscription.fetch(200, timeout=1):
                    received[int(message.data)] = time.monotonic()
                    await message.ack()

    async def publish(n: int, at: float) -> None:
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        sent[n] = time.monotonic()
        await js.publish(f"bench.floor.{int(rate)}", str(n).encode())

    consumer = asyncio.create_task(consume())
    start = time.monotonic()
    await asyncio.gather(*(publish(n, start + n / rate) for n in range(count)))
    with suppress(TimeoutError):
        await asyncio.wait_for(consumer, 30)
    await js.delete_stream(name)
    await client.close()
    return [received[n] - sent[n] for n in sorted(received)]


async def backlogs(nats_url: str) -> dict[str, int]:
    """Messages each stage of the pipeline has not finished yet (pending plus unacked)."""
    client = await nats.connect(nats_url)
    js = client.jetstream()
    found: dict[str, int] = {}
    for spec in (INGEST_NORMALISER, SCHEDULER_WORK, NOTIFIER_RISK):
        info = await js.consumer_info(spec.stream, spec.durable)
        found[spec.durable] = int(info.num_pending or 0) + int(info.num_ack_pending or 0)
    await client.close()
    return found


class Stats:
    @staticmethod
    def p99(values: Sequence[float]) -> float:
        if len(values) < 2:
            return values[0]
        return statistics.quantiles(values, n=100, method="inclusive")[98]

    @classmethod
    def line(cls, label: str, latencies: Sequence[float], lost: int) -> str:
        if not latencies:
            return f"{label}: nothing arrived ({lost} lost)"
        ms = [x * 1000 for x in latencies]
        half = len(ms) // 2 or 1
        return (
            f"{label}: n={len(ms)} p50 {statistics.median(ms):7.1f} ms  p99 {cls.p99(ms):7.1f} ms"
            f"  max {max(ms):7.1f} ms  p99 1st half {cls.p99(ms[:half]):7.1f} / 2nd half "
            f"{cls.p99(ms[half:] or ms):7.1f} ms  lost {lost}"
        )


# The hops a notification takes, each ending where its event is stored in JetStream: ingest
# (202 → its canonical work event), the scheduler (→ the risk change), the notifier (→ arrival).
HOPS = ((WORK.name, ItemChangedV1.subject), (RISK.name, RiskChangedV1.subject))


async def stored_at(nats_url: str, since: float) -> list[dict[str, float]]:
    """For each hop's stream: item → when its first event was stored (monotonic seconds)."""
    # JetStream stamps messages with the wall clock; this run's clocks are converted once.
    offset = time.time() - time.monotonic()
    client = await nats.connect(nats_url)
    js = client.jetstream()
    found: list[dict[str, float]] = []
    for stream, subject in HOPS:
        config = nats.js.api.ConsumerConfig(
            deliver_policy=nats.js.api.DeliverPolicy.BY_START_TIME,
            opt_start_time=datetime.fromtimestamp(since + offset, UTC),
            ack_policy=nats.js.api.AckPolicy.NONE,
        )
        subscription = await js.pull_subscribe(subject, stream=stream, config=config)
        times: dict[str, float] = {}
        # The end of the stream: nats-py raises the builtin TimeoutError or its own subclass.
        with suppress(TimeoutError):
            while True:
                for message in await subscription.fetch(500, timeout=1):
                    at = message.metadata.timestamp.timestamp() - offset
                    times.setdefault(json.loads(message.data)["item_id"], at)
        await subscription.unsubscribe()
        found.append(times)
    await client.close()
    return found


def hop_lines(
    rate: float, accepted: dict[str, float], stored: list[dict[str, float]], arrivals: Arrivals
) -> list[str]:
    """p50/p99 of each hop, over the items that made all of them."""
    ends = [accepted, *stored, arrivals.at]
    complete = [item for item in accepted if all(item in times for times in ends)]
    lines = []
    hops = zip(("ingest", "scheduler", "notifier"), itertools.pairwise(ends), strict=True)
    for name, (start, end) in hops:
        spent = [end[item] - start[item] for item in complete]
        lines.append(Stats.line(f"{rate:>5.0f}/s   {name:<9}", spent, 0))
    return lines
