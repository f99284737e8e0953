"""``item_overdue`` and ``blocker_overdue``: open past the target, from the day after it."""

from __future__ import annotations

from functools import lru_cache

from services.scheduler.domain.dates import Values, iso
from services.scheduler.domain.window import crossed
from shared.events import RiskReason


def dated(is_open: Values, target: Values) -> Values:
    """Whether the overdue threshold applies at all: open, with a target."""
    return is_open & (target >= 0)


def overdue_from(target: Values) -> Values:
    """The first day an open item with this target is overdue."""
    return target + 1


def is_overdue(is_open: Values, target: Values, today: int) -> Values:
    return dated(is_open, target) & crossed(overdue_from(target), today)


@lru_cache(maxsize=4096)
def item_reason(target: int) -> RiskReason:
    return RiskReason(
        code="item_overdue",
        message=f"still open past its target of {iso(target)}",
        evidence={"target": iso(target)},
    )


@lru_cache(maxsize=8192)
def blocker_reason(bid: str, target: int) -> RiskReason:
    return RiskReason(
        code="blocker_overdue",
        message=f"{bid} is still open past its target of {iso(target)}",
        blocker_id=bid,
        evidence={"blocker_target": iso(target)},
    )
