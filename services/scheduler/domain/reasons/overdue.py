"""``item_overdue`` and ``blocker_overdue``: open past the target, from the day after it."""

from __future__ import annotations

from functools import lru_cache

from services.scheduler.domain.dates import Values, iso
from services.scheduler.domain.model import PendingReason
from services.scheduler.domain.window import crossed
from shared.events import RiskReason

ITEM_CODE = "item_overdue"
BLOCKER_CODE = "blocker_overdue"


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
        code=ITEM_CODE,
        message=f"still open past its target of {iso(target)}",
        evidence={"target": iso(target)},
    )


@lru_cache(maxsize=8192)
def blocker_reason(bid: str, target: int) -> RiskReason:
    return RiskReason(
        code=BLOCKER_CODE,
        message=f"{bid} is still open past its target of {iso(target)}",
        blocker_id=bid,
        evidence={"blocker_target": iso(target)},
    )


def pending_item_reason(target: int) -> PendingReason:
    """``item_reason`` as it will be built when read."""
    return (ITEM_CODE, "", item_reason, (target,))


def pending_blocker_reason(bid: str, target: int) -> PendingReason:
    """``blocker_reason`` as it will be built when read."""
    return (BLOCKER_CODE, bid, blocker_reason, (bid, target))
