"""Demand: who is waiting on a work item, and how much that weighs. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Demand:
    customers: int
    weight: float


def demand_from(customer_ids: Iterable[str]) -> Demand:
    """Each distinct customer counts once however often they ask; weights come later."""
    distinct = set(customer_ids)
    return Demand(customers=len(distinct), weight=float(len(distinct)))


def demand_changed(before: Demand | None, after: Demand) -> bool:
    return before != after and not (before is None and after.customers == 0)
