"""The names an item goes by besides its id, resolved from stored documents, never arrival order.

Some deliveries name an item only by its tool's global id: GitHub project fields by node id
(``github-node:<id>``), Jira link events by numeric id (``jira-id:<id>``). And a Jira issue
moved to another project changes key (``PAY-12`` -> ``OPS-3``) but keeps its numeric id.
Every name resolves to the item's current id: the newest item document holding that
global id. Edges are stored as named and resolved when read (start-up, rebuild, each
batch), so a link that arrived before its issues counts once they do, on any replica.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.scheduler.documents import edge_is_live
from services.scheduler.ports import WorkStore

ID_PREFIXES: Mapping[str, str] = {"github": "github-node:", "jira": "jira-id:"}


def tool_ref(item_id: str, node_id: str | None) -> str | None:
    """``jira-id:10002`` for ``jira:PAY-12`` with numeric id 10002; None without a global id."""
    prefix = ID_PREFIXES.get(item_id.partition(":")[0])
    return f"{prefix}{node_id}" if prefix and node_id else None


def nodes_named(refs: Iterable[str]) -> dict[str, list[str]]:
    """Tool -> the global ids these refs name (``jira`` -> ``["10002"]``)."""
    named: dict[str, list[str]] = {}
    for ref in refs:
        for tool, prefix in ID_PREFIXES.items():
            if ref.startswith(prefix):
                named.setdefault(tool, []).append(ref.removeprefix(prefix))
    return named


@dataclass(frozen=True)
class Names:
    current: Mapping[str, str]  # any known name -> the item's current id
    superseded: frozenset[str]  # ids an item had before it moved

    def of(self, name: str) -> str:
        return self.current.get(name, name)


def names_from(items: Iterable[dict[str, Any]]) -> Names:
    by_node: dict[str, list[dict[str, Any]]] = {}
    current: dict[str, str] = {}
    for document in items:
        ref = tool_ref(document["_id"], document.get("node_id"))
        if ref:
            by_node.setdefault(ref, []).append(document)
    superseded: set[str] = set()
    for ref, holders in by_node.items():
        # The key it was last seen under is its key now; a tie stays deterministic.
        newest = max(holders, key=lambda d: (d["source_updated_at"], d["_id"]))["_id"]
        current[ref] = newest
        for holder in holders:
            if holder["_id"] != newest:
                current[holder["_id"]] = newest
                superseded.add(holder["_id"])
    return Names(current, frozenset(superseded))


async def names_for(store: WorkStore, names: Collection[str]) -> Names:
    """Resolve these names, with every other item sharing a global id with them (moves)."""
    found = {d["_id"]: d for d in await store.items_known_as(names)}
    refs = {r for d in found.values() if (r := tool_ref(d["_id"], d.get("node_id")))}
    for document in await store.items_known_as(refs) if refs else ():
        found.setdefault(document["_id"], document)
    return names_from(found.values())


def all_names(names: Names, ids: Iterable[str]) -> set[str]:
    """Every name that resolves to one of these ids, the ids included."""
    wanted = {names.of(i) for i in ids}
    return wanted | {name for name, now in names.current.items() if now in wanted}


def deciding_edges(
    edges: Iterable[dict[str, Any]], names: Names
) -> dict[tuple[str, str], dict[str, Any]]:
    """(blocker, blocked) -> the newest document naming the pair, its ends resolved.

    A link event (by numeric id) and a changelog entry (by key) about one link are one edge;
    the later statement decides, so a link deleted in Jira's UI is gone whoever said "add".
    """
    newest: dict[tuple[str, str], dict[str, Any]] = {}
    for edge in edges:
        pair = (names.of(edge["blocker_id"]), names.of(edge["blocked_id"]))
        seen = newest.get(pair)
        if pair[0] != pair[1] and (seen is None or _clock(edge) > _clock(seen)):
            newest[pair] = {**edge, "blocker_id": pair[0], "blocked_id": pair[1]}
    return newest


def decided_edges(
    edges: Iterable[dict[str, Any]], names: Names, removed_at: dict[str, datetime]
) -> dict[tuple[str, str], bool]:
    """(blocker, blocked) -> whether the edge counts (see ``deciding_edges``)."""
    return {
        pair: edge_is_live(edge, removed_at) for pair, edge in deciding_edges(edges, names).items()
    }


def _clock(edge: dict[str, Any]) -> tuple[datetime, bool]:
    return edge["source_updated_at"], bool(edge.get("present"))
