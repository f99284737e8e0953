"""Open digest windows in MongoDB, one document per person and channel.

The document is the window itself (entries keyed by item id), replaced under a version check
so two events landing at once for the same person cannot lose each other's entries.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any

from pymongo import DeleteOne, ReplaceOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

from services.notifier.domain.change import Change
from services.notifier.domain.digest import DigestEntry, DigestWindow
from shared.events import RiskLevel

DIGESTS = "notifier_digests"
TOLD = "notifier_told"
MAX_CONFLICTS = 20
TUPLES = ("reasons", "chain", "related", "recipients")
Collector = Callable[["DigestWindow | None"], DigestWindow]


class MongoDigestWindows:
    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self.collection = collection

    async def update(self, person_id: str, channel: str, change: Collector) -> DigestWindow:
        key = f"{person_id}|{channel}"
        for _ in range(MAX_CONFLICTS):
            found = await self.collection.find_one({"_id": key})
            version = found["version"] if found else 0
            window = change(window_from(found) if found else None)
            document = {"_id": key, "version": version + 1, **window_document(window)}
            if found is None:
                inserted = await self.collection.update_one(
                    {"_id": key}, {"$setOnInsert": document}, upsert=True
                )
                if inserted.upserted_id is not None:
                    return window
                continue
            replaced = await self.collection.replace_one({"_id": key, "version": version}, document)
            if replaced.modified_count == 1:
                return window
        raise RuntimeError(f"digest window {key} kept changing under {MAX_CONFLICTS} attempts")

    async def update_all(self, updates: Mapping[tuple[str, str], Collector]) -> None:
        """Many windows in one read and one bulk write; any window another writer touched
        meanwhile (its version moved, or it was created first) is redone through ``update``."""
        keys = {f"{person}|{channel}": (person, channel) for person, channel in updates}
        cursor = self.collection.find({"_id": {"$in": list(keys)}})
        found = {d["_id"]: d async for d in cursor}
        token = uuid.uuid4().hex
        writes: list[UpdateOne | ReplaceOne[dict[str, Any]]] = []
        for key, route in keys.items():
            stored = found.get(key)
            window = updates[route](window_from(stored) if stored else None)
            version = stored["version"] if stored else 0
            document = {"_id": key, "version": version + 1, "writer": token}
            document |= window_document(window)
            if stored is None:
                writes.append(UpdateOne({"_id": key}, {"$setOnInsert": document}, upsert=True))
            else:
                writes.append(ReplaceOne({"_id": key, "version": version}, document))
        if not writes:
            return
        result = await self.collection.bulk_write(writes, ordered=False)
        if result.upserted_count + result.modified_count == len(writes):
            return
        query = {"_id": {"$in": list(keys)}, "writer": token}
        ours = {d["_id"] async for d in self.collection.find(query, projection={"_id": 1})}
        for key, (person, channel) in keys.items():
            if key not in ours:
                await self.update(person, channel, updates[(person, channel)])

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


def window_document(window: DigestWindow) -> dict[str, Any]:
    return {
        "person_id": window.person_id,
        "channel": window.channel,
        "opened_at": window.opened_at,
        "closes_at": window.closes_at,
        "entries": {
            str(i): {"told": e.told, "latest": change_document(e.latest)}
            for i, e in enumerate(window.entries.values())
        },
    }


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
    for entry in document["entries"].values():
        latest = change_from(entry["latest"])
        told = RiskLevel(entry["told"]) if entry["told"] else None
        entries[latest.key] = DigestEntry(told, latest)
    return DigestWindow(
        document["person_id"],
        document["channel"],
        document["opened_at"],
        document["closes_at"],
        entries,
    )
