"""The engine's edges and names around a batch, decided from stored documents.

Whether an edge counts depends on clocks (its own and its ends' deletions) and on what its
ends are called now (``aliases``), not on the order events arrived in, so the engine
re-reads the edges whose answer may have moved.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from services.scheduler.aliases import all_names, decided_edges, names_for
from services.scheduler.domain import Portfolio
from services.scheduler.ports import WorkStore
from shared.events import (
    DemandChangedV1,
    DependencyAddedV1,
    DependencyRemovedV1,
    Event,
    ItemChangedV1,
    ItemRemovedV1,
)
from shared.telemetry import log_fields

_ENDS = ("blocker_id", "blocked_id")
logger = logging.getLogger(__name__)


def _ends(applied: Sequence[Event]) -> set[str]:
    ends: set[str] = set()
    for event in applied:
        if isinstance(event, DependencyAddedV1 | DependencyRemovedV1):
            ends.update((event.blocker_id, event.blocked_id))
        elif isinstance(event, ItemRemovedV1 | DemandChangedV1):
            ends.add(event.item_id)
        elif isinstance(event, ItemChangedV1) and event.node_id:
            # Its global id may complete an edge that waited for it, or reveal a move.
            ends.add(event.item_id)
    return ends


async def sync_edges(store: WorkStore, portfolio: Portfolio, applied: Sequence[Event]) -> None:
    """Make the engine's edges, moved items and demand around these events match storage."""
    ends = _ends(applied)
    if not ends:
        return
    names = await names_for(store, ends)
    for moved in sorted(names.superseded):
        if portfolio.item(moved) is not None:
            # The same issue under its new key is in the batch or already held.
            portfolio.remove_item(moved)
            logger.info("item moved", extra=log_fields(item_id=moved, now=names.of(moved)))
    edges = await store.edges_touching(all_names(names, ends))
    others = {edge[end] for edge in edges for end in _ENDS}
    names = await names_for(store, ends | others)
    removed_at = await store.removed_at({names.of(name) for name in ends | others})
    for (blocker, blocked), live in decided_edges(edges, names, removed_at).items():
        if live:
            portfolio.add_dependency(blocker, blocked)
        else:
            portfolio.remove_dependency(blocker, blocked)
    for event in applied:
        if isinstance(event, DemandChangedV1) and names.of(event.item_id) != event.item_id:
            portfolio.set_demand(names.of(event.item_id), event.weight)  # feedback on an old key
