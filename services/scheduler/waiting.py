"""Who waits on an item, told with its risk change: an owner sees why this one matters first.

The engine keeps only the demand's weight; the customers and organisations behind it are in
the ``demand`` projection, read for the announced items that have any, one read a batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.scheduler.domain import Portfolio
from services.scheduler.ports import WorkStore
from shared.events import RiskChangedV1


def with_waiting(event: RiskChangedV1, demand: dict[str, Any] | None) -> RiskChangedV1:
    if not demand or not demand.get("customers"):
        return event
    waiting = {"customers": demand["customers"], "organisations": demand.get("organisations")}
    return event.model_copy(update=waiting)


async def told_with_waiting(
    events: Sequence[RiskChangedV1], portfolio: Portfolio, work: WorkStore
) -> list[RiskChangedV1]:
    """``events``, each saying who waits on its item (its id is the same either way)."""
    wanted = sorted({e.item_id for e in events if portfolio.own_demand(e.item_id) > 0})
    if not wanted:
        return list(events)
    found = {d["_id"]: d for d in await work.documents("demand", {"_id": {"$in": wanted}})}
    return [with_waiting(event, found.get(event.item_id)) for event in events]
