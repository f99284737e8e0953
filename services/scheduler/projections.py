"""The scheduler's projections in MongoDB: items, dependency edges, releases, demand, plans.

Every write is an upsert guarded by the source's own clock, so a redelivered or late event
changes nothing; removals are tombstones for the same reason (a late "added" must not revive
an edge that was removed after it).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from services.scheduler.documents import item_document, release_document
from services.scheduler.plans import NODE_PREFIX, schedule_documents
from shared.events import (
    DemandChangedV1,
    DependencyAddedV1,
    DependencyRemovedV1,
    Event,
    ItemChangedV1,
    ItemRemovedV1,
    ItemScheduleChangedV1,
    ReleaseChangedV1,
)
from shared.mongo import bulk_upsert_guarded

_SOURCE = "source_updated_at"


def edge_id(blocker_id: str, blocked_id: str) -> str:
    return f"{blocker_id} -> {blocked_id}"


class Write(NamedTuple):
    """One guarded upsert: set ``document`` on ``key`` unless ``clock`` is older than stored."""

    collection: str
    key: str
    clock_field: str
    clock: datetime
    document: dict[str, Any]

    def operation(self) -> UpdateOne:
        guard = {"_id": self.key, self.clock_field: {"$lte": self.clock}}
        return UpdateOne(guard, {"$set": self.document}, upsert=True)


def writes_for(event: Event) -> list[Write]:
    """The guarded upserts that project one event: one per schedule field, else at most one."""
    if isinstance(event, ItemScheduleChangedV1):
        at = event.source_updated_at
        return [Write("schedules", k, _SOURCE, at, d) for k, d in schedule_documents(event)]
    write = write_for(event)
    return [] if write is None else [write]


def write_for(event: Event) -> Write | None:
    """The guarded upsert that projects one non-schedule event, or None if it is not ours."""
    if isinstance(event, ItemChangedV1):
        return Write("items", event.item_id, _SOURCE, event.source_updated_at, item_document(event))
    if isinstance(event, ItemRemovedV1):
        at = event.source_updated_at
        # ``removed_at`` outlives a later revival: edges older than it stay dropped.
        document = {"removed": True, "removed_at": at, "source_updated_at": at}
        return Write("items", event.item_id, _SOURCE, at, document)
    if isinstance(event, DependencyAddedV1 | DependencyRemovedV1):
        document = {
            "blocker_id": event.blocker_id,
            "blocked_id": event.blocked_id,
            "present": isinstance(event, DependencyAddedV1),
            "source": event.source.value,
            "source_updated_at": event.source_updated_at,
        }
        key = edge_id(event.blocker_id, event.blocked_id)
        return Write("dependencies", key, _SOURCE, event.source_updated_at, document)
    if isinstance(event, ReleaseChangedV1):
        document = release_document(event)
        return Write("releases", event.release_id, _SOURCE, event.source_updated_at, document)
    if isinstance(event, DemandChangedV1):
        document = {
            "customers": event.customers,
            "weight": event.weight,
            "organisations": event.organisations,
            "arr_waiting": event.arr_waiting,
            "occurred_at": event.occurred_at,
        }
        return Write("demand", event.item_id, "occurred_at", event.occurred_at, document)
    return None


def latest_writes(events: Sequence[Event]) -> list[tuple[int, Write]]:
    """One write per document: the newest by the source's clock, the later one on a tie.

    An unordered bulk write may run its operations in any order, so two writes to one
    document in one batch would make the outcome (and which events count as applied) depend
    on the server; keeping only the winner makes the batch mean what the clocks say. Each
    write comes with the index of its event (a schedule change may write two documents).
    """
    winners: dict[tuple[str, str], tuple[int, Write]] = {}
    for index, event in enumerate(events):
        for write in writes_for(event):
            key = (write.collection, write.key)
            previous = winners.get(key)
            if previous is not None and previous[1].clock > write.clock:
                continue
            winners[key] = (index, write)
    return sorted(winners.values(), key=lambda pair: pair[0])


class MongoWorkStore:
    COLLECTIONS = ("items", "dependencies", "releases", "demand", "schedules")

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.db = db

    async def ensure_indexes(self) -> None:
        await self.db["items"].create_index([("team", ASCENDING)])
        await self.db["items"].create_index([("release_id", ASCENDING)])
        await self.db["items"].create_index([("node_id", ASCENDING)])
        await self.db["schedules"].create_index([("item_ref", ASCENDING)])
        await self.db["dependencies"].create_index([("blocked_id", ASCENDING)])
        await self.db["dependencies"].create_index([("blocker_id", ASCENDING)])
        assessments = self.db["assessments"]
        # /risk ranks by score then id; each filter gets its own prefix of that order.
        await assessments.create_index([("score", DESCENDING), ("_id", ASCENDING)])
        await assessments.create_index([("level", ASCENDING), ("score", DESCENDING)])
        for field in ("team", "release_id", "owner"):
            await assessments.create_index([(field, ASCENDING), ("score", DESCENDING)])

    async def apply(self, events: Sequence[Event]) -> list[Event]:
        """Project a batch with one bulk write per collection; return the events that applied."""
        per_collection: dict[str, list[tuple[int, UpdateOne]]] = {}
        for index, write in latest_writes(events):
            per_collection.setdefault(write.collection, []).append((index, write.operation()))
        applied: set[int] = set()
        for name, writes in per_collection.items():
            stale = await bulk_upsert_guarded(self.db[name], [op for _, op in writes])
            applied.update(index for n, (index, _) in enumerate(writes) if n not in stale)
        return [event for index, event in enumerate(events) if index in applied]

    async def documents(self, name: str, query: dict[str, Any]) -> list[dict[str, Any]]:
        return [document async for document in self.db[name].find(query)]

    async def plans_for(self, refs: Collection[str]) -> list[dict[str, Any]]:
        return await self.documents("schedules", {"item_ref": {"$in": list(refs)}})

    async def items_known_as(self, refs: Collection[str]) -> list[dict[str, Any]]:
        nodes = [r.removeprefix(NODE_PREFIX) for r in refs if r.startswith(NODE_PREFIX)]
        query = {"$or": [{"_id": {"$in": list(refs)}}, {"node_id": {"$in": nodes}}]}
        return await self.documents("items", query)

    async def edges_touching(self, item_ids: Collection[str]) -> list[dict[str, Any]]:
        ids = list(item_ids)
        query = {"$or": [{"blocker_id": {"$in": ids}}, {"blocked_id": {"$in": ids}}]}
        return await self.documents("dependencies", query)

    async def removed_at(self, item_ids: Collection[str]) -> dict[str, datetime]:
        """When each of these items was last deleted, for those that ever were."""
        query = {"_id": {"$in": list(item_ids)}, "removed_at": {"$ne": None}}
        return {d["_id"]: d["removed_at"] async for d in self.db["items"].find(query)}
