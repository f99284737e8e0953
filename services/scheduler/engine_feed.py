"""What each event the scheduler takes means to its in-memory engine, one handler per type.

Two tables over ``SchedulerEvent``: how an applied event changes the ``Portfolio``, and which
items it names (to blame a risk change on the event behind it). ``shared.dispatch`` refuses to
build either unless every event in the union has its handler.
"""

from __future__ import annotations

from services.scheduler.documents import item_from_changed, release_from_changed
from services.scheduler.domain import Portfolio
from shared.dispatch import Dispatch
from shared.events import (
    DemandChangedV1,
    DependencyAddedV1,
    DependencyRemovedV1,
    ItemChangedV1,
    ItemRemovedV1,
    ItemScheduleChangedV1,
    ReleaseChangedV1,
)
from shared.events.streams import SchedulerEvent


def upsert_item(event: ItemChangedV1, portfolio: Portfolio) -> None:
    portfolio.upsert_item(item_from_changed(event))


def remove_item(event: ItemRemovedV1, portfolio: Portfolio) -> None:
    portfolio.remove_item(event.item_id)


def reschedule(event: ItemScheduleChangedV1, portfolio: Portfolio) -> None:
    """Nothing here: a plan may name an item by node id, so ``apply_plans`` resolves it."""


def add_dependency(event: DependencyAddedV1, portfolio: Portfolio) -> None:
    """Nothing here: an edge may name its ends by global id, so ``sync_edges`` decides it."""


def remove_dependency(event: DependencyRemovedV1, portfolio: Portfolio) -> None:
    """Nothing here: whether the edge still counts is ``sync_edges``' answer from storage."""


def upsert_release(event: ReleaseChangedV1, portfolio: Portfolio) -> None:
    portfolio.upsert_release(release_from_changed(event))


def set_demand(event: DemandChangedV1, portfolio: Portfolio) -> None:
    portfolio.set_demand(event.item_id, event.weight)


# How each applied event changes the in-memory engine.
APPLY_TO_PORTFOLIO: Dispatch[None] = Dispatch(
    "apply to portfolio",
    SchedulerEvent,
    {
        ItemChangedV1: upsert_item,
        ItemRemovedV1: remove_item,
        ItemScheduleChangedV1: reschedule,
        DependencyAddedV1: add_dependency,
        DependencyRemovedV1: remove_dependency,
        ReleaseChangedV1: upsert_release,
        DemandChangedV1: set_demand,
    },
)


def the_item(event: ItemChangedV1 | ItemRemovedV1 | DemandChangedV1) -> tuple[str, ...]:
    return (event.item_id,)


def both_ends(event: DependencyAddedV1 | DependencyRemovedV1) -> tuple[str, ...]:
    return (event.blocked_id, event.blocker_id)


def the_ref(event: ItemScheduleChangedV1) -> tuple[str, ...]:
    return (event.item_ref,)  # a ``github-node:`` ref names no item: the batch is blamed


def no_item(event: ReleaseChangedV1) -> tuple[str, ...]:
    return ()


# The items each event names, to blame a risk change on the event that caused it.
REFERENCED_ITEMS: Dispatch[tuple[str, ...]] = Dispatch(
    "referenced items",
    SchedulerEvent,
    {
        ItemChangedV1: the_item,
        ItemRemovedV1: the_item,
        ItemScheduleChangedV1: the_ref,
        DependencyAddedV1: both_ends,
        DependencyRemovedV1: both_ends,
        ReleaseChangedV1: no_item,
        DemandChangedV1: the_item,
    },
)
