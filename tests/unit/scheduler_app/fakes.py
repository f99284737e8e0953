"""In-memory versions of the scheduler's ports, guarded by the same clocks as the Mongo ones."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from services.scheduler.projections import latest_writes
from shared.events import Event


class InMemoryWorkStore:
    def __init__(self) -> None:
        self.collections: dict[str, dict[str, dict[str, Any]]] = {}

    async def apply(self, events: Sequence[Event]) -> list[Event]:
        applied: set[int] = set()
        for index, write in latest_writes(events):
            docs = self.collections.setdefault(write.collection, {})
            stored = docs.get(write.key)
            if stored is not None and stored[write.clock_field] > write.clock:
                continue
            docs[write.key] = {**(stored or {}), **write.document, "_id": write.key}
            applied.add(index)
        return [events[index] for index in sorted(applied)]

    async def documents(self, name: str, query: dict[str, Any]) -> list[dict[str, Any]]:
        docs = self.collections.get(name, {}).values()
        return [d for d in docs if all(d.get(k) == v for k, v in query.items())]

    async def plans_for(self, refs: Collection[str]) -> list[dict[str, Any]]:
        return [p for p in self.collections.get("schedules", {}).values() if p["item_ref"] in refs]

    async def items_known_as(self, refs: Collection[str]) -> list[dict[str, Any]]:
        items = self.collections.get("items", {}).values()
        return [i for i in items if i["_id"] in refs or f"github-node:{i.get('node_id')}" in refs]

    async def dependencies_between(
        self, pairs: Collection[tuple[str, str]]
    ) -> list[dict[str, Any]]:
        edges = self.collections.get("dependencies", {}).values()
        return [e for e in edges if (e["blocker_id"], e["blocked_id"]) in pairs]

    async def present_edges_touching(self, item_ids: Collection[str]) -> list[dict[str, Any]]:
        edges = self.collections.get("dependencies", {}).values()
        touching = (e for e in edges if e["blocker_id"] in item_ids or e["blocked_id"] in item_ids)
        return [e for e in touching if e["present"]]

    async def removed_at(self, item_ids: Collection[str]) -> dict[str, datetime]:
        items = self.collections.get("items", {})
        return {i: items[i]["removed_at"] for i in item_ids if items.get(i, {}).get("removed_at")}


class InMemoryAssessmentStore:
    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        self.failures = 0

    async def save(self, documents: Sequence[dict[str, Any]]) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("MongoDB did not answer")
        self.documents.update({d["_id"]: dict(d) for d in documents})

    async def remove(self, item_ids: Sequence[str]) -> None:
        for item_id in item_ids:
            self.documents.pop(item_id, None)

    async def all(self) -> list[dict[str, Any]]:
        return [dict(d) for d in self.documents.values()]
