"""Read side for drawing: the nodes of a team or release and the edges around them.

Blockers and dependants outside the selection are included as ``external`` nodes, since the
cross-team edges are usually the point of the picture.
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.scheduler.aliases import all_names, deciding_edges, names_for
from services.scheduler.documents import edge_is_live
from services.scheduler.projections import MongoWorkStore
from services.scheduler.views import day


def node(document: dict[str, Any], external: bool) -> dict[str, Any]:
    return {
        "id": document["_id"],
        "title": document.get("title"),
        "team": document.get("team"),
        "release_id": document.get("release_id"),
        "level": document.get("level"),
        "score": document.get("score"),
        "target": day(document.get("target")),
        "forecast": day(document.get("forecast")),
        "external": external,
    }


class GraphView:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.assessments = db["assessments"]
        self.items = db["items"]
        self.store = MongoWorkStore(db)

    async def graph(self, selection: dict[str, str], limit: int) -> dict[str, Any]:
        """``selection`` is ``{"team": t}`` or ``{"release_id": r}``."""
        cursor = self.assessments.find(selection).sort("_id", 1).limit(limit + 1)
        inside = {d["_id"]: d async for d in cursor}
        truncated = len(inside) > limit
        if truncated:
            inside.pop(max(inside))
        ids = list(inside)
        # Edges may name an item by its tool's global id or by a key from before a move.
        names = await names_for(self.store, ids)
        mine = all_names(names, ids)
        candidates = await self.store.edges_touching(mine)
        ends = {d[k] for d in candidates for k in ("blocker_id", "blocked_id")}
        names = await names_for(self.store, mine | ends)
        deciding = list(deciding_edges(candidates, names).values())
        removed_at = await self.store.removed_at(
            {d[k] for d in deciding for k in ("blocker_id", "blocked_id")}
        )
        edges = sorted(
            (d for d in deciding if edge_is_live(d, removed_at)),
            key=lambda d: (d["blocker_id"], d["blocked_id"]),
        )
        outside_ids = sorted({d[k] for d in edges for k in ("blocker_id", "blocked_id")} - {*ids})
        found = {d["_id"]: d async for d in self.assessments.find({"_id": {"$in": outside_ids}})}
        # An end with no assessment is a blocker we have not heard of yet: still drawn.
        outside = [found.get(i, {"_id": i}) for i in outside_ids]
        chains = {d["_id"]: d.get("chain", []) for d in [*inside.values(), *outside]}
        return {
            "nodes": [node(d, False) for d in inside.values()] + [node(d, True) for d in outside],
            "edges": [
                {
                    "blocker_id": d["blocker_id"],
                    "blocked_id": d["blocked_id"],
                    "source": d.get("source"),
                    "origin": d.get("origin"),
                    # The edge that sets the blocked item's forecast: draw it bold.
                    "critical": chains.get(d["blocked_id"], [None, None])[1:2] == [d["blocker_id"]],
                }
                for d in edges
            ],
            "truncated": truncated,
        }
