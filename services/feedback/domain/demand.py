"""Demand on a work item: who waits on it, and the weighted score the risk engine reads.

Default formula (``DemandPolicy``), one term per *unit* of demand, where a unit is an
organisation, or a customer with none (a consumer on gmail.com still counts, once):

    weight = sum over units of  importance(unit) x scale(unit)
    importance(unit) = the highest importance (0-3) among the unit's pieces of feedback
    scale(unit)      = 1 + ln(1 + ARR / arr_unit)   when the organisation's ARR is known
                     = 1                            otherwise (or with scale_by_arr off)

So an organisation counts once however many of its people ask (as Canny's company count),
its loudest request sets its weight, and revenue raises it with diminishing returns: ARR of
``arr_unit`` (default 10,000) nearly doubles a unit's weight, a hundred times that is x5.6.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Waiting:
    """One live piece of feedback on the item, already resolved to customer and organisation."""

    customer_id: str
    organisation_id: str | None
    importance: int


@dataclass(frozen=True)
class Demand:
    customers: int
    weight: float
    organisations: int = 0
    arr_waiting: float | None = None


@dataclass(frozen=True)
class DemandPolicy:
    arr_unit: float = 10_000.0
    scale_by_arr: bool = True

    def __post_init__(self) -> None:
        if self.arr_unit <= 0:
            raise ValueError("arr_unit must be positive")

    def scale(self, arr: float | None) -> float:
        if not self.scale_by_arr or arr is None or arr <= 0:
            return 1.0
        return 1.0 + math.log1p(arr / self.arr_unit)


def demand_from(
    waiting: Iterable[Waiting], arr: Mapping[str, float], policy: DemandPolicy | None = None
) -> Demand:
    """``arr`` maps organisation ids to their known ARR; the others are unscaled."""
    policy = policy or DemandPolicy()
    customers: set[str] = set()
    organisations: set[str] = set()
    loudest: dict[str, int] = {}
    for piece in waiting:
        customers.add(piece.customer_id)
        if piece.organisation_id:
            organisations.add(piece.organisation_id)
        unit = piece.organisation_id or piece.customer_id
        loudest[unit] = max(loudest.get(unit, 0), piece.importance)
    weight = sum(importance * policy.scale(arr.get(unit)) for unit, importance in loudest.items())
    known = [arr[o] for o in organisations if o in arr]
    return Demand(
        customers=len(customers),
        weight=round(weight, 4),
        organisations=len(organisations),
        arr_waiting=sum(known) if known else None,
    )


def demand_changed(before: Demand | None, after: Demand) -> bool:
    return before != after and not (before is None and after.customers == 0)
