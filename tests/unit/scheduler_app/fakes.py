"""In-memory versions of the scheduler's ports, guarded by the same clocks as the Mongo ones."""

from __future__ import annotations

import copy
from collections.abc import Collection, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from datetime import datetime, timedelta
from typing import Any

from services.scheduler.plans import refs_of
from services.scheduler.ports import BelievedNew
from services.scheduler.projections import latest_writes
from shared.events import Event
from tests.support.fakes import as_bson_keeps


def holds(value: Any, condition: Any) -> bool:
    """Equality, or ``{"$in": [...]}``: the conditions the scheduler asks its store."""
    if isinstance(condition, dict) and "$in" in condition:
        return value in condition["$in"]
    return bool(value == condition)


class InMemoryWorkStore:
    def __init__(self) -> None:
        self.collections: dict[str, dict[str, dict[str, Any]]] = {}

    async def apply(
        self, events: Sequence[Event], believed_new: BelievedNew = lambda c, k: False
    ) -> list[Event]:
        applied: set[int] = set()  # the hint only changes how a database is asked
        for index, write in latest_writes(events):
            docs = self.collections.setdefault(write.collection, {})
            stored = docs.get(write.key)
            if stored is not None and stored[write.clock_field] > write.clock:
                continue
            written = {k: as_bson_keeps(v) for k, v in write.document.items()}
            docs[write.key] = {**(stored or {}), **written, "_id": write.key}
            applied.add(index)
        return [events[index] for index in sorted(applied)]

    async def documents(self, name: str, query: dict[str, Any]) -> list[dict[str, Any]]:
        # Copies, as a database hands out: a caller changing one must not change the store.
        docs = self.collections.get(name, {}).values()
        return [copy.deepcopy(d) for d in docs if all(holds(d.get(k), v) for k, v in query.items())]

    async def plans_for(self, refs: Collection[str]) -> list[dict[str, Any]]:
        return [p for p in await self.documents("schedules", {}) if p["item_ref"] in refs]

    async def items_known_as(self, refs: Collection[str]) -> list[dict[str, Any]]:
        items = await self.documents("items", {})
        return [i for i in items if set(refs_of(i["_id"], i.get("node_id"))) & set(refs)]

    async def edges_touching(self, item_ids: Collection[str]) -> list[dict[str, Any]]:
        edges = await self.documents("dependencies", {})
        return [e for e in edges if e["blocker_id"] in item_ids or e["blocked_id"] in item_ids]

    async def dependencies_between(
        self, pairs: Collection[tuple[str, str]]
    ) -> list[dict[str, Any]]:
        edges = await self.documents("dependencies", {})
        return [e for e in edges if (e["blocker_id"], e["blocked_id"]) in pairs]

    async def present_edges_touching(self, item_ids: Collection[str]) -> list[dict[str, Any]]:
        edges = await self.documents("dependencies", {})
        touching = (e for e in edges if e["blocker_id"] in item_ids or e["blocked_id"] in item_ids)
        return [e for e in touching if e["present"]]

    async def removed_at(self, item_ids: Collection[str]) -> dict[str, datetime]:
        items = self.collections.get("items", {})
        return {i: items[i]["removed_at"] for i in item_ids if items.get(i, {}).get("removed_at")}


class InMemoryAssessmentStore:
    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        self.history: dict[str, dict[str, Any]] = {}
        # A save including one of these ids fails, once for each: the store going away just as
        # that item's document is written, whatever else is written around it.
        self.failing: set[str] = set()
        # How many passes wrote an empty store whole (``filling_empty``).
        self.fills = 0

    def fail_saving(self, item_id: str) -> None:
        self.failing.add(item_id)

    async def record(self, entries: Sequence[dict[str, Any]]) -> None:
        for entry in entries:
            self.history.setdefault(entry["_id"], copy.deepcopy(entry))

    async def save(self, documents: Sequence[dict[str, Any]], *, fresh: bool = False) -> None:
        if failed := self.failing & {d["_id"] for d in documents}:
            self.failing -= failed
            raise ConnectionError("MongoDB did not answer")
        self.documents.update({d["_id"]: copy.deepcopy(d) for d in documents})

    async def remove(self, item_ids: Sequence[str]) -> None:
        for item_id in item_ids:
            self.documents.pop(item_id, None)

    async def all(self) -> list[dict[str, Any]]:
        return [copy.deepcopy(d) for d in self.documents.values()]

    def filling_empty(self) -> AbstractAsyncContextManager[None]:
        self.fills += 1
        return nullcontext()


class InMemoryLease:
    """Named leases: one holder each, taken over only once expired (strictly before ``now``)."""

    def __init__(self) -> None:
        self.held: dict[str, tuple[str, datetime]] = {}

    async def acquire(self, name: str, holder: str, ttl_seconds: float, now: datetime) -> bool:
        current = self.held.get(name)
        if current is not None and current[0] != holder and not current[1] < now:
            return False
        self.held[name] = (holder, as_bson_keeps(now + timedelta(seconds=ttl_seconds)))
        return True

    async def release(self, name: str, holder: str) -> None:
        current = self.held.get(name)
        if current is not None and current[0] == holder:
            del self.held[name]


class InMemoryReleaseOutlooks:
    """Releases read from the work store's projection; announced outlooks kept here."""

    def __init__(self, work: InMemoryWorkStore) -> None:
        self.work = work
        self.records: dict[str, dict[str, Any]] = {}

    async def release_ids(self) -> set[str]:
        return set(self.work.collections.get("releases", {})) | set(self.records)

    async def releases(self, ids: Collection[str]) -> dict[str, dict[str, Any]]:
        found = self.work.collections.get("releases", {})
        return {i: copy.deepcopy(found[i]) for i in ids if i in found}

    async def outlooks(self, ids: Collection[str]) -> dict[str, dict[str, Any]]:
        return {i: copy.deepcopy(self.records[i]) for i in ids if i in self.records}

    async def save(self, records: Sequence[dict[str, Any]], *, fresh: bool = False) -> None:
        self.records.update({r["_id"]: copy.deepcopy(r) for r in records})


class InMemoryRankMarks:
    def __init__(self) -> None:
        self.written: list[tuple[list[tuple[float, str]], int, int]] = []

    async def write(
        self, marks: Sequence[tuple[float, str]], every: int, rows: int, now: datetime
    ) -> None:
        self.written.append((list(marks), every, rows))
