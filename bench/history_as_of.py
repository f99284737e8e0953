"""``GET /risk?as_of=``: the whole history read in Python (before) against checkpoints (now).

Fills the embedded MongoDB-compatible server with ``ITEMS`` items x ``CHANGES`` announced
changes each, one change per item every few days (so history spans ``CHANGES`` x 7 days), builds
the checkpoints once (timed and printed: a one-off, as after a swap), then answers ``as_of`` at
instants a quarter, half, three quarters and all the way through history, both ways, in the
same run: *before* reads every entry up to the instant and keeps each item's last
(``latest_per_item``); *now* reads the latest checkpoint and the entries after it
(``HistoryCheckpoints.entries_at``). Both answers are checked equal. Medians of ``--rounds``
runs each, and their ratio. The before cost grows with the instant (history before it), the
checkpointed one stays near the cost of one entry per item.

Run: ``python -m bench.history_as_of [--items 20000] [--changes 20] [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient

from services.cli.embedded import start_mongo
from services.scheduler.adapters.mongo import ensure_history_indexes
from services.scheduler.history import latest_per_item
from services.scheduler.history_checkpoints import HistoryCheckpoints, ensure_checkpoint_indexes

T0 = datetime(2026, 1, 5, tzinfo=UTC)
LEVELS = ("on_track", "at_risk", "off_track")
STEP = timedelta(days=7)  # each item changes about once a week


def entry(item: int, change: int, rng: random.Random) -> dict[str, Any]:
    level = LEVELS[rng.randrange(3)]
    at = T0 + change * STEP + timedelta(seconds=rng.randrange(int(STEP.total_seconds())))
    return {
        "_id": f"e{item}-{change}",
        "item_id": f"jira:P-{item}",
        "at": at,
        "level": level,
        "previous_level": None,
        "score": round(rng.random() * 100, 2),
        "slip_days": rng.randrange(30),
        "target": T0 + timedelta(days=rng.randrange(200)),
        "forecast": T0 + timedelta(days=rng.randrange(230)),
        "reasons": [
            {
                "code": "blocker_late",
                "message": f"blocked by jira:P-{item + 1}, forecast past this item's target",
                "blocker_id": f"jira:P-{item + 1}",
                "evidence": {"blocker_forecast": "2026-04-01", "target": "2026-03-20"},
            }
        ],
        "chain": [f"jira:P-{item}", f"jira:P-{item + 1}", f"jira:P-{item + 2}"],
        "title": f"Item {item}",
        "team": f"team-{item % 40}",
        "owner": f"owner-{item % 300}",
    }


async def fill(db: Any, items: int, changes: int) -> None:
    rng = random.Random(7)
    history = db["assessment_history"]
    batch: list[dict[str, Any]] = []
    for change in range(changes):
        for item in range(items):
            batch.append(entry(item, change, rng))
            if len(batch) == 5_000:
                await history.insert_many(batch, ordered=False)
                batch = []
    if batch:
        await history.insert_many(batch, ordered=False)


async def median_seconds(run: Callable[[], Awaitable[Any]], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        await run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def answer(entries: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["item_id"], e["_id"]) for e in entries]


async def measure(db: Any, args: argparse.Namespace) -> None:
    await ensure_history_indexes(db, 10_000)
    await ensure_checkpoint_indexes(db, 10_000)
    started = time.perf_counter()
    await fill(db, args.items, args.changes)
    total = args.items * args.changes
    print(f"filled {total:,} entries ({args.items:,} items x {args.changes}) in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    end = T0 + args.changes * STEP
    checkpoints = HistoryCheckpoints(db, args.period_days)
    started = time.perf_counter()
    built = await checkpoints.catch_up(end + timedelta(days=1))
    print(f"built {built} checkpoints (every {args.period_days} days) once in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    history = db["assessment_history"]

    async def before(instant: datetime) -> list[dict[str, Any]]:
        entries = await history.find({"at": {"$lte": instant}}).to_list()
        return latest_per_item(entries, instant)

    print(f"{'as_of':<12} {'entries before it':>17} {'before (s)':>11} {'now (s)':>9} {'ratio':>7}")
    for fraction in (0.25, 0.5, 0.75, 1.0):
        instant = T0 + (end - T0) * fraction
        old, new = await before(instant), await checkpoints.entries_at(instant)
        assert answer(old) == answer(new), f"answers differ at {instant}"
        seen = await history.count_documents({"at": {"$lte": instant}})
        slow = await median_seconds(lambda i=instant: before(i), args.rounds)
        fast = await median_seconds(lambda i=instant: checkpoints.entries_at(i), args.rounds)
        print(f"{fraction:>11.0%} {seen:>17,} {slow:>11.3f} {fast:>9.3f} {slow / fast:>6.1f}x")


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        server = start_mongo(Path(scratch))
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(server.url, tz_aware=True)
        try:
            await measure(client["bench_history"], args)
        finally:
            await client.close()
            server.process.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--period-days", type=int, default=7)
    asyncio.run(main(parser.parse_args()))
