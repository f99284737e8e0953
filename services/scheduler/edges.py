"""The engine's edges and names around a batch, decided from stored documents.

Whether an edge counts depends on clocks (its own and its ends' deletions) and on what its
ends are called now (``aliases``), not on the order events arrived in, so the engine
re-reads the edges whose answer may have moved.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from services.scheduler.aliases import Names, all_names, deciding_edges, names_for
from services.scheduler.documents import edge_is_live
from services.scheduler.domain import Portfolio
from services.scheduler.ports import WorkStore
from shared.events import (
    DemandChangedV1,
    DependencyAddedV1,
    DependencyRemovedV1,
    Event,
    ItemRemovedV1,
)
from shared.telemetry import log_fields

_ENDS = ("blocker_id", "blocked_id")
logger = logging.getLogger(__name__)


def _written(applied: Sequence[Event]) -> set[tuple[str, str]]:
    return {
        (event.blocker_id, event.blocked_id)
        for event in applied
        if isinstance(event, DependencyAddedV1 | DependencyRemovedV1)
    }


def _of_type(applied: Sequence[Event], kind: type[ItemRemovedV1 | DemandChangedV1]) -> set[str]:
    return {event.item_id for event in applied if isinstance(event, kind)}


async def _edges_in_question(
    store: WorkStore, names: Names, applied: Sequence[Event], newcomers: set[str]
) -> list[dict[str, Any]]:
    """The edge documents whose answer this batch may have moved, and no others.

    The pairs it wrote (under every name of their ends, so a link event and a changelog entry
    about one link meet), the present edges of items it deleted, and the edges that named a
    newcomer by its global id or an old key before it was known by them. Never a blocker's
    whole fan-in: a new dependant of a busy blocker costs its own edge.
    """
    pairs = {
        (blocker, blocked)
        for pair in _written(applied)
        for blocker in all_names(names, [pair[0]])
        for blocked in all_names(names, [pair[1]])
    }
    deleted = _of_type(applied, ItemRemovedV1)
    aliases = all_names(names, newcomers) - {names.of(i) for i in newcomers}
    edges = await store.dependencies_between(pairs) if pairs else []
    if deleted:
        edges += await store.present_edges_touching(all_names(names, deleted))
    if aliases:
        edges += await store.edges_touching(aliases)
    found = {edge["_id"]: edge for edge in edges}
    return list(found.values())


async def sync_edges(
    store: WorkStore, portfolio: Portfolio, applied: Sequence[Event], newcomers: set[str]
) -> None:
    """Make the engine's edges, moved items and demand around these events match storage.

    ``newcomers`` are the items with a global id that the engine did not hold before this
    batch: their global id may complete an edge that waited for it, or reveal a move.
    """
    demand = _of_type(applied, DemandChangedV1)
    ends = {end for pair in _written(applied) for end in pair}
    ends |= _of_type(applied, ItemRemovedV1) | newcomers | demand
    if not ends:
        return
    names = await names_for(store, ends)
    for moved in sorted(names.superseded):
        if portfolio.item(moved) is not None:
            # The same issue under its new key is in the batch or already held.
            portfolio.remove_item(moved)
            logger.info("item moved", extra=log_fields(item_id=moved, now=names.of(moved)))
    edges = await _edges_in_question(store, names, applied, newcomers)
    others = {edge[end] for edge in edges for end in _ENDS} - ends
    if others:
        names = await names_for(store, ends | others)
    deciding = deciding_edges(edges, names)
    gone = {names.of(i) for i in _of_type(applied, ItemRemovedV1)}
    removed_at = await _removals_deciding(store, list(deciding.values()), gone)
    for (blocker, blocked), edge in deciding.items():
        if edge_is_live(edge, removed_at):
            portfolio.add_dependency(blocker, blocked)
        else:
            portfolio.remove_dependency(blocker, blocked)
    for event in applied:
        if isinstance(event, DemandChangedV1) and names.of(event.item_id) != event.item_id:
            portfolio.set_demand(names.of(event.item_id), event.weight)  # feedback on an old key


async def _removals_deciding(
    store: WorkStore, edges: Sequence[dict[str, Any]], gone: set[str]
) -> dict[str, datetime]:
    """Enough of the ends' deletion times to decide each (resolved) edge with ``edge_is_live``.

    A deleted item's edges that are no newer than its deletion are dead whatever their other
    end says, so a deleted blocker's dependants are looked up only for the rare edge re-created
    after the deletion.
    """

    def ends(edge: dict[str, Any]) -> set[str]:
        return {edge["blocker_id"], edge["blocked_id"]}

    near_deletion = [e for e in edges if ends(e) & gone]
    asked = gone.union(*(ends(e) for e in edges if not ends(e) & gone))
    removed_at = await store.removed_at(asked) if asked else {}
    outliving = [e for e in near_deletion if edge_is_live(e, removed_at)]
    if unknown := set().union(*map(ends, outliving)) - asked:
        removed_at.update(await store.removed_at(unknown))
    return removed_at
