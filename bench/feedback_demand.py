"""The cost of one demand update as stored feedback grows (it must not grow with the total).

Part of the issue's benchmark: the projection-rate half (200,000 events against a bare
``bulk_write``) is still to come. Here: fill the embedded MongoDB-compatible server with
feedback spread over many items, then time ``project_feedback`` for one new piece of feedback
on one item (store, recompute, save), at a small and at a large total, against a same-run
baseline of one bare upsert into the same server. Medians of ``ROUNDS`` runs.

Run: ``python -m bench.feedback_demand [SMALL LARGE]`` (defaults 10000 200000).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient

from services.cli.embedded import start_mongo
from services.feedback.adapters.mongo import MongoFeedbackStore
from services.feedback.handlers import Weighing, project_feedback
from shared.events import FeedbackReceivedV1

ROUNDS = 50
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


async def fill(store: MongoFeedbackStore, start: int, stop: int) -> None:
    for first in range(start, stop, 1000):
        batch = [piece(n, n % ITEMS) for n in range(first, min(first + 1000, stop))]
        await store.apply(batch)


async def median_seconds(run: Any) -> float:
    times = []
    for round_ in range(ROUNDS):
        started = time.perf_counter()
        await run(round_)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def measure(store: MongoFeedbackStore, db: Any, total: int) -> tuple[float, float]:
    weighing = Weighing(store)

    async def one_update(round_: int) -> None:
        event = piece(10**9 + total * 100 + round_, item=7, minute=round_)
        await project_feedback([event], store, T0, weighing)

    async def bare_upsert(round_: int) -> None:
        key = {"_id": f"baseline-{total}-{round_}"}
        await db["bench_baseline"].update_one(key, {"$set": {"n": round_}}, upsert=True)

    return await median_seconds(one_update), await median_seconds(bare_upsert)


async def main(small: int, large: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        server = start_mongo(Path(scratch))
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(server.url, tz_aware=True)
        try:
            db = client["bench_feedback"]
            store = MongoFeedbackStore(db)
            await store.ensure_indexes()
            stored = 0
            for total in (small, large):
                await fill(store, stored, total)
                stored = total
                update, baseline = await measure(store, db, total)
                print(
                    f"{total:>8} stored feedback: one demand update {update * 1e3:7.2f} ms "
                    f"(bare upsert {baseline * 1e3:5.2f} ms, x{update / baseline:.1f})"
                )
        finally:
            await client.close()
            server.process.stop()


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:3]] or [10_000, 200_000]
    asyncio.run(main(sizes[0], sizes[1]))
