"""Open digest windows in MongoDB, one document per person and channel.

The document is the window itself, its entries keyed by an encoding of each change's key.
A change is written as a ``$set`` of its own entry under a version check (so two events
landing at once for the same person cannot lose each other's entries), and only the entries a
batch touches are read: a window that has collected hundreds of changes is never read back or
rewritten whole while it is open, which made routing grow with every change it held. Each
entry's change is kept as one encoded BSON value rather than a nested document: the store
still rewrites the window on every ``$set``, and a few hundred opaque values cost it a small
fraction of what thousands of nested fields do (measured in ``bench/notifier_fanout.py``).
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any

import bson
from pymongo import ASCENDING, DeleteOne, ReplaceOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

from services.notifier.domain.change import Change
from services.notifier.domain.digest import DigestEntry, DigestWindow
from shared.events import RiskLevel

DIGESTS = "notifier_digests"
TOLD = "notifier_told"
MAX_CONFLICTS = 20
TUPLES = ("reasons", "chain", "related", "recipients")
HEADER = ("version", "person_id", "channel", "opened_at", "closes_at")
Collector = Callable[["DigestWindow | None"], DigestWindow]


class MongoDigestWindows:
    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self.collection = collection

    async def ensure_indexes(self) -> None:
        """What each tick asks (``due``): without it every tick reads every open window."""
        await self.collection.create_index([("closes_at", ASCENDING)])

    async def update(
        self, person_id: str, channel: str, change: Collector, keys: Iterable[str]
    ) -> DigestWindow:
        """Apply ``change`` to the window's entries for ``keys`` (the ones it may touch)."""
        key = f"{person_id}|{channel}"
        projection = window_projection(keys)
        for _ in range(MAX_CONFLICTS):
            found = await self.collection.find_one({"_id": key}, projection=projection)
            write, window = window_write(key, found, change, uuid.uuid4().hex)
            if write is None:
                return window
            result = await self.collection.bulk_write([write])
            if result.upserted_count + result.modified_count == 1:
                return window
        raise RuntimeError(f"digest window {key} kept changing under {MAX_CONFLICTS} attempts")

    async def update_all(
        self, updates: Mapping[tuple[str, str], Collector], keys: Iterable[str]
    ) -> None:
        """Many windows in one read and one bulk write, reading and writing only the entries
        for ``keys`` (every change key the collectors may touch); any window another writer
        touched meanwhile (its version moved, or it was created first) is redone by ``update``."""
        wanted = sorted(set(keys))
        ids = {f"{person}|{channel}": (person, channel) for person, channel in updates}
        cursor = self.collection.find(
            {"_id": {"$in": list(ids)}}, projection=window_projection(wanted)
        )
        found = {d["_id"]: d async for d in cursor}
        token = uuid.uuid4().hex
        writes: dict[str, UpdateOne] = {}
        for key, route in ids.items():
            write, _ = window_write(key, found.get(key), updates[route], token)
            if write is not None:
                writes[key] = write
        if not writes:
            return
        result = await self.collection.bulk_write(list(writes.values()), ordered=False)
        if result.upserted_count + result.modified_count == len(writes):
            return
        query = {"_id": {"$in": list(writes)}, "writer": token}
        ours = {d["_id"] async for d in self.collection.find(query, projection={"_id": 1})}
        for key in writes.keys() - ours:
            person, channel = ids[key]
            await self.update(person, channel, updates[(person, channel)], wanted)

    async def due(self, now: datetime, limit: int = 100) -> list[tuple[int, DigestWindow]]:
        cursor = self.collection.find({"closes_at": {"$lte": now}}).sort("closes_at", 1)
        return [(d["version"], window_from(d)) async for d in cursor.limit(limit)]

    async def postpone(self, window: DigestWindow, version: int, until: datetime) -> None:
        key = f"{window.person_id}|{window.channel}"
        await self.collection.update_one(
            {"_id": key, "version": version}, {"$set": {"closes_at": until}}
        )

    async def postpone_all(self, held: list[tuple[DigestWindow, int, datetime]]) -> None:
        writes = [
            UpdateOne(
                {"_id": f"{w.person_id}|{w.channel}", "version": v}, {"$set": {"closes_at": until}}
            )
            for w, v, until in held
        ]
        if writes:
            await self.collection.bulk_write(writes, ordered=False)

    async def close_all(self, closing: list[tuple[DigestWindow, int]]) -> None:
        """A window a change joined after it was read keeps its newer version and stays open."""
        writes = [
            DeleteOne({"_id": f"{w.person_id}|{w.channel}", "version": v}) for w, v in closing
        ]
        if writes:
            await self.collection.bulk_write(writes, ordered=False)

    async def close(self, window: DigestWindow, version: int) -> bool:
        """False when a change joined after it was read: it stays open and is read again."""
        key = f"{window.person_id}|{window.channel}"
        deleted = await self.collection.delete_one({"_id": key, "version": version})
        return deleted.deleted_count == 1


class MongoToldLevels:
    """The level each person was last sent per item and channel, so replays cancel out."""

    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self.collection = collection

    async def level(self, person_id: str, channel: str, key: str) -> RiskLevel | None:
        found = await self.collection.find_one({"_id": f"{person_id}|{channel}|{key}"})
        return RiskLevel(found["level"]) if found else None

    async def levels(
        self, keys: Iterable[tuple[str, str, str]]
    ) -> dict[tuple[str, str, str], RiskLevel]:
        """Many at once (person, channel, change key): one query for a whole batch."""
        wanted = {"|".join(k): k for k in keys}
        if not wanted:
            return {}
        cursor = self.collection.find({"_id": {"$in": list(wanted)}})
        return {wanted[d["_id"]]: RiskLevel(d["level"]) async for d in cursor}

    async def remember(self, window: DigestWindow) -> None:
        await self.remember_all([window])

    async def remember_all(self, windows: list[DigestWindow]) -> None:
        writes = [
            ReplaceOne({"_id": key}, {"_id": key, "level": change.level.value}, upsert=True)
            for window in windows
            for change in window.ranked()
            if change.levelled
            for key in [f"{window.person_id}|{window.channel}|{change.key}"]
        ]
        if writes:
            await self.collection.bulk_write(writes, ordered=False)


def entry_field(key: str) -> str:
    """A change key as a field name: keys hold ``.`` and ``$``, which a field path cannot."""
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def window_projection(keys: Iterable[str]) -> dict[str, int]:
    return {name: 1 for name in HEADER} | {f"entries.{entry_field(k)}": 1 for k in keys}


def window_write(
    key: str, found: dict[str, Any] | None, change: Collector, token: str
) -> tuple[UpdateOne | None, DigestWindow]:
    """The write that applies ``change`` to the window as read (only the entries it may
    touch): a ``$setOnInsert`` of a new window, a versioned ``$set`` of the entries that
    changed, or nothing when none did (a redelivered event)."""
    before = window_from(found) if found else None
    window = change(before)
    entries = {
        f"entries.{entry_field(k)}": entry_document(e)
        for k, e in window.entries.items()
        if before is None or before.entries.get(k) != e
    }
    if found is None:
        document = {"_id": key, "version": 1, "writer": token} | window_document(window)
        return UpdateOne({"_id": key}, {"$setOnInsert": document}, upsert=True), window
    if not entries:
        return None, window
    version = found["version"]
    fields = {"version": version + 1, "writer": token} | entries
    return UpdateOne({"_id": key, "version": version}, {"$set": fields}), window


def window_document(window: DigestWindow) -> dict[str, Any]:
    return {
        "person_id": window.person_id,
        "channel": window.channel,
        "opened_at": window.opened_at,
        "closes_at": window.closes_at,
        "entries": {entry_field(k): entry_document(e) for k, e in window.entries.items()},
    }


def entry_document(entry: DigestEntry) -> dict[str, Any]:
    return {"told": entry.told, "latest": bson.encode(change_document(entry.latest))}


def change_document(change: Change) -> dict[str, Any]:
    document = dict(change.__dict__)
    for name in ("target", "forecast"):
        value = document[name]
        document[name] = value.isoformat() if value is not None else None
    for name in TUPLES:
        document[name] = list(document[name])
    return document


def change_from(document: dict[str, Any]) -> Change:
    fields = dict(document)
    for name in ("target", "forecast"):
        fields[name] = date.fromisoformat(fields[name]) if fields[name] else None
    fields["level"] = RiskLevel(fields["level"])
    fields["previous_level"] = (
        RiskLevel(fields["previous_level"]) if fields["previous_level"] else None
    )
    for name in TUPLES:
        fields[name] = tuple(fields.get(name, ()))
    return Change(**fields)


def window_from(document: dict[str, Any]) -> DigestWindow:
    entries = {}
    for entry in document.get("entries", {}).values():
        stored = entry["latest"]
        # Windows written before entries were encoded hold the change as a document.
        latest = change_from(bson.decode(stored) if isinstance(stored, bytes) else stored)
        told = RiskLevel(entry["told"]) if entry["told"] else None
        entries[latest.key] = DigestEntry(told, latest)
    return DigestWindow(
        document["person_id"],
        document["channel"],
        document["opened_at"],
        document["closes_at"],
        entries,
    )
