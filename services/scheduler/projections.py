"""The scheduler's projections in MongoDB: items, dependency edges, releases, demand.

Every write is an upsert guarded by the source's own clock, so a redelivered or late event
changes nothing; removals are tombstones for the same reason (a late "added" must not revive
an edge that was removed after it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from services.scheduler.documents import item_document, release_document
from shared.events import (
    DemandChangedV1,
    DependencyAddedV1,
    DependencyRemovedV1,
    Event,
    ItemChangedV1,
    ItemRemovedV1,
    ReleaseChangedV1,
)
from shared.mongo import bulk_upsert_guarded


def edge_id(blocker_id: str, blocked_id: str) -> str:
    return f"{blocker_id} -> {blocked_id}"


def write_for(event: Event) -> tuple[str, UpdateOne] | None:
    """The collection and guarded upsert that project one event, or None if it is not ours."""
    if isinstance(event, ItemChangedV1):
        return "items", _guarded(
            event.item_id, "source_updated_at", event.source_updated_at, item_document(event)
        )
    if isinstance(event, ItemRemovedV1):
        return "items", _guarded(
            event.item_id,
            "source_updated_at",
            event.source_updated_at,
            {"removed": True, "source_updated_at": event.source_updated_at},
        )
    if isinstance(event, DependencyAddedV1 | DependencyRemovedV1):
        document = {
            "blocker_id": event.blocker_id,
            "blocked_id": event.blocked_id,
            "present": isinstance(event, DependencyAddedV1),
            "source": event.source.value,
            "source_updated_at": event.source_updated_at,
        }
        key = edge_id(event.blocker_id, event.blocked_id)
        return "dependencies", _guarded(key, "source_updated_at", event.source_updated_at, document)
    if isinstance(event, ReleaseChangedV1):
        return "releases", _guarded(
            event.release_id, "source_updated_at", event.source_updated_at, release_document(event)
        )
    if isinstance(event, DemandChangedV1):
        document = {
            "customers": event.customers,
            "weight": event.weight,
            "occurred_at": event.occurred_at,
        }
        return "demand", _guarded(event.item_id, "occurred_at", event.occurred_at, document)
    return None


def _guarded(key: str, clock: str, value: Any, document: dict[str, Any]) -> UpdateOne:
    return UpdateOne({"_id": key, clock: {"$lte": value}}, {"$set": document}, upsert=True)


class MongoWorkStore:
    COLLECTIONS = ("items", "dependencies", "releases", "demand")

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.db = db

    async def ensure_indexes(self) -> None:
        await self.db["items"].create_index([("team", ASCENDING)])
        await self.db["items"].create_index([("release_id", ASCENDING)])
        await self.db["dependencies"].create_index([("blocked_id", ASCENDING)])
        await self.db["dependencies"].create_index([("blocker_id", ASCENDING)])
        assessments = self.db["assessments"]
        await assessments.create_index([("level", ASCENDING), ("score", DESCENDING)])
        for field in ("team", "release_id", "owner"):
            await assessments.create_index([(field, ASCENDING), ("score", DESCENDING)])

    async def apply(self, events: Sequence[Event]) -> list[Event]:
        """Project a batch with one bulk write per collection; return the events that applied."""
        per_collection: dict[str, list[tuple[int, UpdateOne]]] = {}
        for index, event in enumerate(events):
            write = write_for(event)
            if write is not None:
                per_collection.setdefault(write[0], []).append((index, write[1]))
        applied: set[int] = set()
        for name, writes in per_collection.items():
            stale = await bulk_upsert_guarded(self.db[name], [op for _, op in writes])
            applied.update(index for n, (index, _) in enumerate(writes) if n not in stale)
        return [event for index, event in enumerate(events) if index in applied]

    async def documents(self, name: str, query: dict[str, Any]) -> list[dict[str, Any]]:
        return [document async for document in self.db[name].find(query)]
