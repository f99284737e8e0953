"""Feedback's projection rate, and the cost of one demand update as stored feedback grows.

Against the embedded MongoDB-compatible server, in one run:

1. **Rate.** ``LARGE`` feedback events (default 200,000) from 50,000 customers of 5,000
   organisations over 20,000 items go through ``project_feedback`` in batches of ``BATCH``
   (the consumer's default, 200): guarded upserts, then demand weighed, saved and checked
   for a surge on every item a batch touched. Baseline: a bare ``bulk_write`` of the same
   documents in the same batches into another collection of the same server.
2. **One update.** When ``SMALL`` (default 10,000) and when ``LARGE`` feedback are stored,
   the median of ``ROUNDS`` single new pieces on one item through ``project_feedback``,
   against the median of a bare single upsert. The ratio between the two totals must stay
   near 1: an update reads the item's tally, one document, through its ``_id``.
3. **A popular item.** The same update on an item ``HOT`` (default 2,000) pieces of feedback
   wait on, beside the update on the ordinary item: what one more request costs where the
   requests pile up.

Run: ``python -m bench.feedback_demand [--small N] [--large N] [--batch N]``. On a shared
machine use a smaller ``--large`` (the rate is per event, so it compares across sizes).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient, InsertOne, monitoring

from services.cli.embedded import start_mongo
from services.feedback.adapters.mongo import MongoFeedbackStore, stored
from services.feedback.handlers import Weighing, project_feedback
from shared.events import FeedbackReceivedV1

ROUNDS = 30
HOT = 2_000
ITEMS, CUSTOMERS, ORGANISATIONS = 20_000, 50_000, 5_000
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def piece(n: int, item: int, minute: int = 0) -> FeedbackReceivedV1:
    customer = n % CUSTOMERS
    return FeedbackReceivedV1(
        event_id=f"e{n}-{minute}",
        occurred_at=T0,
        source="zendesk",
        feedback_id=f"zendesk:ticket/{n}",
        customer_id=f"email:c{customer}@org{customer % ORGANISATIONS}.test",
        item_ids=(f"jira:P-{item}",),
        source_updated_at=T0 + timedelta(minutes=minute),
    )


def batches(start: int, stop: int, size: int) -> list[list[FeedbackReceivedV1]]:
    # Spread over the items as a live stream would be: consecutive events on different items.
    return [
        [piece(n, (n * 7919) % ITEMS) for n in range(first, min(first + size, stop))]
        for first in range(start, stop, size)
    ]


async def project(store: MongoFeedbackStore, weighing: Weighing, chunk: list[Any]) -> float:
    started = time.perf_counter()
    for batch in chunk:
        await project_feedback(batch, store, T0, weighing)
    return time.perf_counter() - started


async def bare_write(db: Any, chunk: list[list[FeedbackReceivedV1]]) -> float:
    started = time.perf_counter()
    for batch in chunk:
        documents = [{"_id": e.feedback_id, **stored(e)} for e in batch]
        await db["bench_bare"].bulk_write([InsertOne(d) for d in documents], ordered=False)
    return time.perf_counter() - started


class Traffic(monitoring.CommandListener):
    """Commands sent and documents returned while counting: what one update costs the server
    whatever its speed, which drifts on the embedded server after many writes."""

    def __init__(self) -> None:
        self.counting = False
        self.commands = self.documents = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.commands += self.counting

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        cursor = event.reply.get("cursor", {}) if self.counting else {}
        self.documents += len(cursor.get("firstBatch", cursor.get("nextBatch", [])))

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    async def of(self, work: Awaitable[Any]) -> tuple[int, int]:
        self.commands = self.documents = 0
        self.counting = True
        try:
            await work
        finally:
            self.counting = False
        return self.commands, self.documents


async def medians(*runs: Callable[[int], Awaitable[Any]]) -> list[float]:
    """Each run's median over ``ROUNDS``, taken in turns so all see the server in one state
    (after a large write the embedded server is slower at everything for a while)."""
    times: list[list[float]] = [[] for _ in runs]
    for round_ in range(ROUNDS):
        for run, took in zip(runs, times, strict=True):
            started = time.perf_counter()
            await run(round_)
            took.append(time.perf_counter() - started)
    return [statistics.median(took) for took in times]


async def one_update(
    store: MongoFeedbackStore, weighing: Weighing, db: Any, total: int, item: int = 7
) -> tuple[float, float]:
    async def update(round_: int) -> None:
        event = piece(10**9 + total * 100 + round_, item=item, minute=round_)
        await project_feedback([event], store, T0, weighing)

    async def bare_upsert(round_: int) -> None:
        key = {"_id": f"baseline-{total}-{round_}"}
        await db["bench_baseline"].update_one(key, {"$set": {"n": round_}}, upsert=True)

    update_took, bare_took = await medians(update, bare_upsert)
    return update_took, bare_took


async def main(small: int, large: int, batch: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        server = start_mongo(Path(scratch))
        traffic = Traffic()
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            server.url, tz_aware=True, event_listeners=[traffic]
        )
        try:
            db = client["bench_feedback"]
            store = MongoFeedbackStore(db)
            await store.ensure_indexes()
            weighing = Weighing(store)
            projected = bare = 0.0
            updates: dict[int, tuple[float, float]] = {}
            sent: dict[int, tuple[int, int]] = {}
            for start, stop in ((0, small), (small, large)):
                chunk = batches(start, stop, batch)
                projected += await project(store, weighing, chunk)
                bare += await bare_write(db, chunk)
                await db["bench_bare"].drop()  # only the projection's data stays, as live
                updates[stop] = await one_update(store, weighing, db, stop)
                extra = piece(10**9 + stop * 100 + ROUNDS, item=7, minute=ROUNDS)
                sent[stop] = await traffic.of(project_feedback([extra], store, T0, weighing))
            print(f"{large} events in batches of {batch} (embedded server, same run):")
            print(
                f"  projection {large / projected:9.0f} events/s   bare bulk_write "
                f"{large / bare:9.0f} docs/s   projection x{projected / bare:.1f} slower"
            )
            for total, (update, baseline) in updates.items():
                commands, documents = sent[total]
                print(
                    f"  {total:>8} stored: one demand update median {update * 1e3:7.2f} ms "
                    f"(bare upsert {baseline * 1e3:5.2f} ms, x{update / baseline:.1f}); "
                    f"{commands} commands, {documents} documents read"
                )
            growth = updates[large][0] / updates[small][0]
            drift = updates[large][1] / updates[small][1]
            print(
                f"  one update at {large} / at {small} stored: x{growth:.2f} "
                f"(the bare upsert, the server's own drift: x{drift:.2f})"
            )
            hot = ITEMS + 1  # an item no ordinary piece names
            for first in range(0, HOT, batch):
                pieces = range(2 * 10**9 + first, 2 * 10**9 + min(first + batch, HOT))
                await project_feedback([piece(n, hot) for n in pieces], store, T0, weighing)
            popular, _ = await one_update(store, weighing, db, large + 1, item=hot)
            print(
                f"  one update on an item {HOT} pieces wait on: median {popular * 1e3:7.2f} ms "
                f"(x{popular / updates[large][0]:.1f} the ordinary item's)"
            )
        finally:
            await client.close()
            server.process.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    if not 0 < args.small < args.large:
        parser.error("need 0 < --small < --large")
    asyncio.run(main(args.small, args.large, args.batch))
