"""Open digest windows in MongoDB: per person and channel a header, and a document per entry.

The header (when the window opened and closes, a version) is small, and each change collected
is a document of its own beside it, so joining a window that already holds hundreds of changes
writes one small document and moves the header's version: nothing grows with what the window
holds. (A window kept whole in one document made the store rewrite, journal and log all of it
on every change: routing slowed with every change collected, O(n^2) over a run.)

Entries are written before the header's version moves under a version check, so two events
landing at once for the same person cannot lose each other's entries, and a window closed
while a change was joining it is either left open (its version moved) or reopened by the redo.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pymongo import ASCENDING, DeleteMany, DeleteOne, ReplaceOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

from services.notifier.domain.change import Change
from services.notifier.domain.digest import DigestEntry, DigestWindow
from shared.events import RiskLevel

DIGESTS = "notifier_digests"
TOLD = "notifier_told"
MAX_CONFLICTS = 20
TUPLES = ("reasons", "chain", "chain_ids", "related", "recipients")
Collector = Callable[["DigestWindow | None"], DigestWindow]


class MongoDigestWindows:
    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self.collection = collection

    async def ensure_indexes(self) -> None:
        """What each tick asks (``due``, then a due window's entries); without them every tick
        reads every open window and entry."""
        await self.collection.create_index([("closes_at", ASCENDING)])
        await self.collection.create_index([("window", ASCENDING)])

    async def update(
        self, person_id: str, channel: str, change: Collector, keys: Iterable[str]
    ) -> DigestWindow:
        """Apply ``change`` to the window's entries for ``keys`` (the ones it may touch).

        The header's version moves even when nothing changed: this is the redo of a write
        whose entries may already be stored, and a closer that read the window before them
        must find the version moved and leave the window open."""
        wid, wanted = f"{person_id}|{channel}", sorted(set(keys))
        for _ in range(MAX_CONFLICTS):
            header = await self.collection.find_one({"_id": wid})
            entries = await self.entries({wid: wanted})
            plan = window_plan(wid, header, entries.get(wid, {}), change, uuid.uuid4().hex, True)
            if await self.apply([plan]) == set():
                return plan.window
        raise RuntimeError(f"digest window {wid} kept changing under {MAX_CONFLICTS} attempts")

    async def update_all(
        self, updates: Mapping[tuple[str, str], Collector], keys: Mapping[tuple[str, str], Any]
    ) -> None:
        """Many windows in three reads and two bulk writes, touching only the entries for
        each window's ``keys`` (the change keys its collector may add); a window another
        writer touched meanwhile (its version moved, or it was created first) is redone by
        ``update``."""
        if not updates:
            return  # a batch that concerns nobody (only the configured webhook, say)
        ids = {f"{person}|{channel}": (person, channel) for person, channel in updates}
        cursor = self.collection.find({"_id": {"$in": list(ids)}})
        headers = {d["_id"]: d async for d in cursor}
        entries = await self.entries({wid: sorted(set(keys[r])) for wid, r in ids.items()})
        token = uuid.uuid4().hex
        plans = [
            window_plan(wid, headers.get(wid), entries.get(wid, {}), updates[r], token, False)
            for wid, r in ids.items()
        ]
        for wid in await self.apply(plans):
            person, channel = ids[wid]
            await self.update(person, channel, updates[(person, channel)], keys[(person, channel)])

    async def entries(
        self, wanted: Mapping[str, Iterable[str]]
    ) -> dict[str, dict[str, dict[str, Any]]]:
        """The stored entries for these (window, change key)s, by window and change key."""
        ids = [entry_id(wid, k) for wid, keys in wanted.items() for k in keys]
        found: dict[str, dict[str, dict[str, Any]]] = {}
        if ids:
            async for d in self.collection.find({"_id": {"$in": ids}}):
                found.setdefault(d["window"], {})[d["key"]] = d
        return found

    async def apply(self, plans: list[WindowPlan]) -> set[str]:
        """Entries first, then the headers under their version check; the windows whose
        header another writer moved first (to be redone)."""
        entries = [w for p in plans for w in p.entries]
        headers = {p.wid: p.header for p in plans if p.header is not None}
        if entries:
            await self.collection.bulk_write(entries, ordered=False)
        if not headers:
            return set()
        result = await self.collection.bulk_write(list(headers.values()), ordered=False)
        if result.upserted_count + result.modified_count == len(headers):
            return set()
        tokens = {p.wid: p.token for p in plans if p.header is not None}
        query = {"_id": {"$in": list(headers)}}
        cursor = self.collection.find(query, projection={"writer": 1})
        ours = {d["_id"] async for d in cursor if d.get("writer") == tokens[d["_id"]]}
        return set(headers) - ours

    async def due(self, now: datetime, limit: int = 100) -> list[tuple[int, DigestWindow]]:
        cursor = self.collection.find({"closes_at": {"$lte": now}}).sort("closes_at", 1)
        headers = [d async for d in cursor.limit(limit)]
        entries: dict[str, list[dict[str, Any]]] = {}
        if headers:
            query = {"window": {"$in": [d["_id"] for d in headers]}}
            async for d in self.collection.find(query):
                entries.setdefault(d["window"], []).append(d)
        return [(d["version"], window_from(d, entries.get(d["_id"], []))) for d in headers]

    async def postpone(self, window: DigestWindow, version: int, until: datetime) -> None:
        await self.postpone_all([(window, version, until)])

    async def postpone_all(self, held: list[tuple[DigestWindow, int, datetime]]) -> None:
        writes = [
            UpdateOne(
                {"_id": f"{w.person_id}|{w.channel}", "version": v}, {"$set": {"closes_at": until}}
            )
            for w, v, until in held
        ]
        if writes:
            await self.collection.bulk_write(writes, ordered=False)

    async def close_all(self, closing: list[tuple[DigestWindow, int]]) -> set[str]:
        """A window a change joined after it was read keeps its newer version and stays open;
        of a closed one, only the entries as read go (one written since carries a later
        version, stays, and joins the window opened next). The ids of the windows closed."""
        if not closing:
            return set()
        wanted = {f"{w.person_id}|{w.channel}": v for w, v in closing}
        writes = [DeleteOne({"_id": wid, "version": v}) for wid, v in wanted.items()]
        await self.collection.bulk_write(writes, ordered=False)
        # Still there: its version moved (or it was closed and reopened at once; its entries
        # then stay with the new window, and what was recorded is not listed again).
        query = {"_id": {"$in": list(wanted)}}
        left = {d["_id"] async for d in self.collection.find(query, projection={"_id": 1})}
        closed = set(wanted) - left
        gone = [
            DeleteMany({"window": wid, "version": {"$lte": wanted[wid]}}) for wid in sorted(closed)
        ]
        if gone:
            await self.collection.bulk_write(gone, ordered=False)
        return closed

    async def close(self, window: DigestWindow, version: int) -> bool:
        """False when a change joined after it was read: it stays open and is read again."""
        return bool(await self.close_all([(window, version)]))


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


def entry_id(wid: str, key: str) -> str:
    """An entry's ``_id``: a digest of window and key, without the ``|`` every window's id
    holds, so the two never meet. (A document as ``_id`` made the embedded store's upserts
    scan the collection.)"""
    return "entry-" + hashlib.sha256(f"{wid}\x00{key}".encode()).hexdigest()


@dataclass
class WindowPlan:
    wid: str
    token: str
    window: DigestWindow
    header: UpdateOne | None
    entries: list[ReplaceOne[dict[str, Any]]]


def window_plan(
    wid: str,
    header: dict[str, Any] | None,
    stored: dict[str, dict[str, Any]],
    change: Collector,
    token: str,
    always: bool,
) -> WindowPlan:
    """The writes that apply ``change`` to the window as read (only the entries it may
    touch): the entries that changed, and a new header or its version moved; nothing when
    nothing changed (a redelivered event), unless ``always``."""
    before = window_from(header, list(stored.values())) if header else None
    version = header["version"] + 1 if header else 1  # the version the header moves to
    window = change(before)
    entries = [
        ReplaceOne({"_id": entry_id(wid, k)}, entry_document(wid, k, e, version), upsert=True)
        for k, e in window.entries.items()
        if before is None or before.entries.get(k) != e
    ]
    write: UpdateOne | None = None
    if header is None:
        document = {"_id": wid, "version": 1, "writer": token} | window_header(window)
        write = UpdateOne({"_id": wid}, {"$setOnInsert": document}, upsert=True)
    elif entries or always:
        fields = {"version": version, "writer": token}
        write = UpdateOne({"_id": wid, "version": version - 1}, {"$set": fields})
    return WindowPlan(wid, token, window, write, entries)


def window_header(window: DigestWindow) -> dict[str, Any]:
    return {
        "person_id": window.person_id,
        "channel": window.channel,
        "opened_at": window.opened_at,
        "closes_at": window.closes_at,
    }


def entry_document(wid: str, key: str, entry: DigestEntry, version: int) -> dict[str, Any]:
    """``version`` is the header's once this entry joined: closing the window at an earlier
    one leaves it (it joined after the window was read)."""
    told = entry.told.value if entry.told else None
    document: dict[str, Any] = {"_id": entry_id(wid, key), "window": wid, "key": key}
    document |= {"told": told, "version": version}
    return document | {"latest": change_document(entry.latest)}


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


def window_from(header: dict[str, Any], stored: list[dict[str, Any]]) -> DigestWindow:
    """A header and its entry documents; a window stored whole (before entries had documents
    of their own) carries its entries in the header, and an entry document for the same item
    is the later one."""
    entries = {}
    for entry in [*header.get("entries", {}).values(), *stored]:
        latest = change_from(entry["latest"])
        told = RiskLevel(entry["told"]) if entry["told"] else None
        entries[latest.key] = DigestEntry(told, latest)
    return DigestWindow(
        header["person_id"],
        header["channel"],
        header["opened_at"],
        header["closes_at"],
        entries,
    )
