"""The scheduler's projections in MongoDB: items, dependency edges, releases, demand, plans.

Every write is an upsert guarded by the source's own clock, so a redelivered or late event
changes nothing; removals are tombstones for the same reason (a late "added" must not revive
an edge that was removed after it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from pymongo import ASCENDING, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from services.scheduler.adapters.mongo import ensure_assessment_indexes
from services.scheduler.aliases import nodes_named
from services.scheduler.documents import item_document, release_document
from services.scheduler.plans import schedule_documents
from services.scheduler.ports import BelievedNew
from shared.dispatch import Dispatch
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
from shared.events.streams import SchedulerEvent
from shared.mongo import drop_indexes, find_decoded, write_new_or_guarded

_SOURCE = "source_updated_at"
RETIRED_ITEM_INDEXES = ("team_1", "release_id_1")


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

    def inserted(self) -> dict[str, Any]:
        """The document ``operation`` makes when nothing is stored under ``key``."""
        return {"_id": self.key, **self.document, self.clock_field: self.clock}


def item_write(event: ItemChangedV1) -> list[Write]:
    at = event.source_updated_at
    return [Write("items", event.item_id, _SOURCE, at, item_document(event))]


def tombstone_write(event: ItemRemovedV1) -> list[Write]:
    at = event.source_updated_at
    # ``removed_at`` outlives a later revival: edges older than it stay dropped.
    document = {"removed": True, "removed_at": at, "source_updated_at": at}
    return [Write("items", event.item_id, _SOURCE, at, document)]


def schedule_writes(event: ItemScheduleChangedV1) -> list[Write]:
    """One write per schedule field the change sets or clears."""
    at = event.source_updated_at
    return [Write("schedules", k, _SOURCE, at, d) for k, d in schedule_documents(event)]


def edge_write(event: DependencyAddedV1 | DependencyRemovedV1, present: bool) -> list[Write]:
    document = {
        "blocker_id": event.blocker_id,
        "blocked_id": event.blocked_id,
        "present": present,
        "source": event.source.value,
        "origin": event.origin.value if event.origin else None,
        "source_updated_at": event.source_updated_at,
    }
    key = edge_id(event.blocker_id, event.blocked_id)
    return [Write("dependencies", key, _SOURCE, event.source_updated_at, document)]


def release_write(event: ReleaseChangedV1) -> list[Write]:
    document = release_document(event)
    return [Write("releases", event.release_id, _SOURCE, event.source_updated_at, document)]


def demand_write(event: DemandChangedV1) -> list[Write]:
    document = {
        "customers": event.customers,
        "weight": event.weight,
        "organisations": event.organisations,
        "arr_waiting": event.arr_waiting,
        "occurred_at": event.occurred_at,
    }
    return [Write("demand", event.item_id, "occurred_at", event.occurred_at, document)]


# The guarded upserts that project each event the scheduler takes.
WRITES: Dispatch[list[Write]] = Dispatch(
    "projection writes",
    SchedulerEvent,
    {
        ItemChangedV1: item_write,
        ItemRemovedV1: tombstone_write,
        ItemScheduleChangedV1: schedule_writes,
        DependencyAddedV1: lambda event: edge_write(event, present=True),
        DependencyRemovedV1: lambda event: edge_write(event, present=False),
        ReleaseChangedV1: release_write,
        DemandChangedV1: demand_write,
    },
)


def latest_writes(events: Sequence[Event]) -> list[tuple[int, Write]]:
    """One write per document: the newest by the source's clock, the later one on a tie.

    An unordered bulk write may run its operations in any order, so two writes to one
    document in one batch would make the outcome (and which events count as applied) depend
    on the server; keeping only the winner makes the batch mean what the clocks say. Each
    write comes with the index of its event (a schedule change may write two documents).
    """
    winners: dict[tuple[str, str], tuple[int, Write]] = {}
    for index, event in enumerate(events):
        for write in WRITES(event):
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
        # Only what a query here asks: on the embedded server every index costs each insert
        # about 55 µs and each update about 110 µs, changed or not. Team and release views
        # read the assessments, so the items' own team and release indexes (made by earlier
        # versions) served nothing and are dropped.
        await drop_indexes(self.db["items"], RETIRED_ITEM_INDEXES)
        await self.db["items"].create_index([("node_id", ASCENDING)])
        await self.db["schedules"].create_index([("item_ref", ASCENDING)])
        await self.db["dependencies"].create_index([("blocked_id", ASCENDING)])
        await self.db["dependencies"].create_index([("blocker_id", ASCENDING)])
        await ensure_assessment_indexes(self.db["assessments"])

    async def apply(
        self, events: Sequence[Event], believed_new: BelievedNew = lambda collection, key: False
    ) -> list[Event]:
        """Project a batch with one bulk write per collection; return the events that applied.

        ``believed_new`` says which documents the caller thinks are not stored yet (the
        engine's own portfolio knows): those are inserted, which on the embedded server costs
        a sixth of a guarded upsert, and any that turn out to exist take the upsert after all.
        A wrong guess therefore only costs time, never correctness.
        """
        per_collection: dict[str, list[tuple[int, Write]]] = {}
        for index, write in latest_writes(events):
            per_collection.setdefault(write.collection, []).append((index, write))
        # Each collection's write is independent of the others', so they run at once: a
        # batch of items and releases then costs one round trip, not one per collection.
        applied = await asyncio.gather(
            *(self._apply_to(name, writes, believed_new) for name, writes in per_collection.items())
        )
        indexes = set().union(*applied)
        return [event for index, event in enumerate(events) if index in indexes]

    async def _apply_to(
        self, name: str, writes: list[tuple[int, Write]], believed_new: BelievedNew
    ) -> set[int]:
        planned = [
            (w.inserted() if believed_new(name, w.key) else None, w.operation()) for _, w in writes
        ]
        applied = await write_new_or_guarded(self.db[name], planned)
        return {writes[n][0] for n in applied}

    async def documents(self, name: str, query: dict[str, Any]) -> list[dict[str, Any]]:
        return await find_decoded(self.db[name], query)

    async def plans_for(self, refs: Collection[str]) -> list[dict[str, Any]]:
        return await self.documents("schedules", {"item_ref": {"$in": list(refs)}})

    async def items_known_as(self, refs: Collection[str]) -> list[dict[str, Any]]:
        by_node = [
            {"node_id": {"$in": nodes}, "_id": {"$regex": f"^{tool}:"}}
            for tool, nodes in nodes_named(refs).items()
        ]
        query = {"$or": [{"_id": {"$in": list(refs)}}, *by_node]}
        return await self.documents("items", query)

    async def edges_touching(self, item_ids: Collection[str]) -> list[dict[str, Any]]:
        ids = list(item_ids)
        query = {"$or": [{"blocker_id": {"$in": ids}}, {"blocked_id": {"$in": ids}}]}
        return await self.documents("dependencies", query)

    async def dependencies_between(
        self, pairs: Collection[tuple[str, str]]
    ) -> list[dict[str, Any]]:
        ids = [edge_id(blocker, blocked) for blocker, blocked in pairs]
        return await self.documents("dependencies", {"_id": {"$in": ids}})

    async def present_edges_touching(self, item_ids: Collection[str]) -> list[dict[str, Any]]:
        ids = list(item_ids)
        either_end = [{"blocker_id": {"$in": ids}}, {"blocked_id": {"$in": ids}}]
        return await self.documents("dependencies", {"present": True, "$or": either_end})

    async def removed_at(self, item_ids: Collection[str]) -> dict[str, datetime]:
        """When each of these items was last deleted, for those that ever were."""
        query = {"_id": {"$in": list(item_ids)}, "removed_at": {"$ne": None}}
        return {d["_id"]: d["removed_at"] async for d in self.db["items"].find(query)}
