"""Feedback's own projection of work items and releases (from WORK), and the loops it closed.

Only what feedback needs: an item's status, title, team and release, a release's state.
Writes are guarded by the source's clock like every projection, so redelivered or late
events change nothing; each closed loop is one document keyed by its closure, which is what
makes announcing it idempotent across redelivery and restart.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.feedback.domain.loops import Closure, WorkItem, record_key
from shared.events import (
    ItemChangedV1,
    ItemStatus,
    LoopClosableV1,
    ReleaseChangedV1,
    ReleaseState,
)
from shared.mongo import write_new_or_guarded

Version = tuple[str, datetime, dict[str, Any]]  # key, the source's clock, the fields it sets


def guarded(key: str, at: datetime, document: dict[str, Any]) -> UpdateOne:
    return UpdateOne(
        {"_id": key, "source_updated_at": {"$lte": at}},
        {"$set": {**document, "source_updated_at": at}},
        upsert=True,
    )


async def store_versions(
    collection: AsyncCollection[dict[str, Any]], versions: Sequence[Version]
) -> list[int]:
    """Store each version unless a newer one is; the positions that applied, in the order
    the server applied them (so a key's last is what it now stores).

    One read of the stored clocks first: a key stored nowhere is inserted (on the embedded
    server a quarter of a guarded upsert's cost), a version older than the stored one is not
    sent at all, and the rest take the guarded upsert, which still decides every race.
    """
    if not versions:
        return []
    keys = sorted({key for key, _, _ in versions})
    cursor = collection.find({"_id": {"$in": keys}}, projection={"source_updated_at": 1})
    stored = {d["_id"]: d.get("source_updated_at") async for d in cursor}
    writes, positions = [], []
    for n, (key, at, document) in enumerate(versions):
        fresh = None
        if key not in stored:
            fresh = {"_id": key, **document, "source_updated_at": at}
            stored[key] = None  # a later version in this batch takes the upsert
        elif (newer := stored[key]) is not None and newer > at:
            continue  # the guard would refuse it
        writes.append((fresh, guarded(key, at, document)))
        positions.append(n)
    return [positions[k] for k in await write_new_or_guarded(collection, writes)]


def last_applied(keys: Sequence[str], applied: Sequence[int]) -> dict[str, int]:
    """Per key, the position of its version applied last: what the store holds now."""
    return {keys[n]: n for n in applied}


def item_from(event: ItemChangedV1) -> WorkItem:
    """The item as ``apply_items`` stores this version of it."""
    return WorkItem(event.item_id, event.status.value, event.title, event.team, event.release_id)


def item_of(document: dict[str, Any]) -> WorkItem:
    return WorkItem(
        item_id=document["_id"],
        status=document.get("status"),
        title=document.get("title"),
        team=document.get("team"),
        release_id=document.get("release_id"),
    )


class MongoWorkProjection:
    COLLECTIONS = ("feedback_items", "feedback_releases", "feedback_closures")

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.items = db["feedback_items"]
        self.releases = db["feedback_releases"]
        self.closures = db["feedback_closures"]

    async def ensure_indexes(self) -> None:
        await self.items.create_index("release_id")
        await self.items.create_index("team")
        await self.closures.create_index("item_id")

    async def apply_items(self, events: Sequence[ItemChangedV1]) -> list[WorkItem]:
        """Store the items; return those whose new version was applied (not stale), as this
        batch left them."""
        versions = [
            (
                e.item_id,
                e.source_updated_at,
                {"status": e.status.value, "title": e.title, "team": e.team,
                 "release_id": e.release_id},
            )
            for e in events
        ]  # fmt: skip
        applied = await store_versions(self.items, versions)
        latest = last_applied([e.item_id for e in events], applied)
        return [item_from(events[latest[key]]) for key in sorted(latest)]

    async def apply_releases(self, events: Sequence[ReleaseChangedV1]) -> list[str]:
        """Store the releases; return the ids of those applied in the released state."""
        versions = [
            (e.release_id, e.source_updated_at, {"state": e.state.value, "name": e.name})
            for e in events
        ]
        applied = await store_versions(self.releases, versions)
        latest = last_applied([e.release_id for e in events], applied)
        released = ReleaseState.RELEASED
        return sorted(key for key, n in latest.items() if events[n].state == released)

    async def items_by_id(self, item_ids: Collection[str]) -> list[WorkItem]:
        cursor = self.items.find({"_id": {"$in": sorted(item_ids)}}).sort("_id", 1)
        return [item_of(d) async for d in cursor]

    async def items_in(self, release_id: str) -> list[WorkItem]:
        cursor = self.items.find({"release_id": release_id}).sort("_id", 1)
        return [item_of(d) async for d in cursor]

    async def item(self, item_id: str) -> WorkItem | None:
        found = await self.items.find_one({"_id": item_id})
        return None if found is None else item_of(found)

    async def titles(self, item_ids: Collection[str]) -> dict[str, str]:
        found = self.items.find({"_id": {"$in": sorted(item_ids)}}, projection={"title": 1})
        return {d["_id"]: d["title"] async for d in found if d.get("title")}

    async def released_among(self, release_ids: Collection[str]) -> set[str]:
        if not release_ids:
            return set()
        query = {"_id": {"$in": sorted(release_ids)}, "state": ReleaseState.RELEASED.value}
        return {d["_id"] async for d in self.releases.find(query, projection={"_id": 1})}

    async def items_where(self, team: str | None, release: str | None) -> set[str]:
        query = {k: v for k, v in (("team", team), ("release_id", release)) if v is not None}
        return {d["_id"] async for d in self.items.find(query, projection={"_id": 1})}

    async def closed(self, closures: Collection[Closure]) -> set[Closure]:
        keys = {c.key: c for c in closures}
        cursor = self.closures.find({"_id": {"$in": sorted(keys)}}, projection={"_id": 1})
        return {keys[d["_id"]] async for d in cursor}

    async def closable_among(self, item_ids: Collection[str]) -> list[WorkItem]:
        # Read by ``_id`` and filtered here: with an ``$or`` on the state beside the ``$in``,
        # the embedded server scanned the whole collection (5.8 s at 20,000 items, not 40 ms).
        found = await self.items_by_id(item_ids)
        return [i for i in found if i.status == ItemStatus.DONE.value or i.release_id]

    async def record(self, events: Sequence[LoopClosableV1]) -> None:
        """Remember closures announced (live) or replayed from the stream (rebuild)."""
        for event in events:
            closure = Closure(event.item_id, event.because, event.release_id)
            told = sorted({f for c in event.customers for f in c.feedback_ids})
            document = {"item_id": event.item_id, "feedback_ids": told, "at": event.occurred_at}
            await self.closures.update_one(
                {"_id": record_key(closure, event.event_id)},
                {"$setOnInsert": document},
                upsert=True,
            )

    async def told(self, item_id: str) -> set[str]:
        """Feedback ids on the item that some announced closure named."""
        cursor = self.closures.find({"item_id": item_id})
        return {f async for d in cursor for f in d.get("feedback_ids", [])}
