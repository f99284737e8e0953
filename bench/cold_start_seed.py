"""A synthetic portfolio written through the scheduler's own projection code.

``MongoWorkStore.apply`` takes canonical events exactly as the consumers would hand them over,
so the stored documents (guards, tombstone fields, edge ids) are the ones production writes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from pymongo import AsyncMongoClient

from services.scheduler.projections import MongoWorkStore
from shared.events import DependencyAddedV1, Event, ItemChangedV1, ItemStatus, Source

CHUNK = 5_000
TEAMS = ("core", "web", "mobile", "data", "infra")


def item_event(n: int, rng: random.Random, now: datetime) -> ItemChangedV1:
    status = rng.choice((ItemStatus.TODO, ItemStatus.IN_PROGRESS, ItemStatus.DONE))
    start = date.today() - timedelta(days=rng.randint(0, 40))
    return ItemChangedV1(
        event_id=f"seed-item-{n}",
        occurred_at=now,
        source=Source.GITHUB,
        item_id=f"github:acme/app#{n}",
        title=f"Synthetic item {n}",
        status=status,
        source_updated_at=now,
        team=TEAMS[n % len(TEAMS)],
        owner=f"person-{n % 300}",
        start=start,
        target=start + timedelta(days=rng.randint(3, 60)),
    )


def edge_event(blocker: int, blocked: int, now: datetime) -> DependencyAddedV1:
    return DependencyAddedV1(
        event_id=f"seed-edge-{blocker}-{blocked}",
        occurred_at=now,
        source=Source.GITHUB,
        blocker_id=f"github:acme/app#{blocker}",
        blocked_id=f"github:acme/app#{blocked}",
        source_updated_at=now,
    )


def edge_pairs(items: int, edges: int, rng: random.Random) -> set[tuple[int, int]]:
    """Acyclic (a blocker always has the lower number), mostly local, a few wide fan-ins."""
    pairs: set[tuple[int, int]] = set()
    hubs = [rng.randrange(items // 2) for _ in range(max(1, items // 1000))]
    while len(pairs) < edges:
        blocked = rng.randrange(1, items)
        local = max(0, blocked - rng.randint(1, 50))
        blocker = rng.choice(hubs) if rng.random() < 0.05 else local
        if blocker < blocked:
            pairs.add((blocker, blocked))
    return pairs


def seed_events(items: int, edges: int, seed: int = 13) -> Iterator[Event]:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    for n in range(items):
        yield item_event(n, rng, now)
    for blocker, blocked in sorted(edge_pairs(items, edges, rng)):
        yield edge_event(blocker, blocked, now)


async def seed(mongodb_url: str, database: str, items: int, edges: int) -> None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongodb_url)
    try:
        store = MongoWorkStore(client[database])
        # As in production, where the scheduler made its indexes on empty collections: left
        # to the first start, building them over 400,000 documents took two minutes.
        await store.ensure_indexes()
        chunk: list[Event] = []
        for event in seed_events(items, edges):
            chunk.append(event)
            if len(chunk) == CHUNK:
                await store.apply(chunk)
                chunk = []
        if chunk:
            await store.apply(chunk)
    finally:
        await client.close()
