"""``blocker_stale``: an open blocker with no update for ``stale_after_days`` while the item's
target is within ``near_target_days``."""

from __future__ import annotations

from services.scheduler.domain.dates import Values, iso, latest
from services.scheduler.domain.model import PendingReason, RiskPolicy
from shared.events import RiskReason

CODE = "blocker_stale"


def watched(is_open: Values, updated: Values, target: Values) -> Values:
    """Whether the staleness threshold applies: an open blocker with a last update, blocking
    an item with a target."""
    return is_open & (updated >= 0) & (target >= 0)


def stale_from(updated: Values, target: Values, policy: RiskPolicy) -> Values:
    """The first day the blocker counts as stale for an item due on ``target``."""
    return latest(
        updated + policy.stale_after_days,
        target - policy.near_target_days,
    )


def reason(bid: str, updated: int, target: int, policy: RiskPolicy) -> RiskReason:
    return RiskReason(
        code=CODE,
        message=f"{bid} has had no update since {iso(updated)}, target is near",
        blocker_id=bid,
        evidence={
            "last_update": iso(updated),
            "stale_after_days": str(policy.stale_after_days),
            "item_target": iso(target),
        },
    )


def pending(bid: str, updated: int, target: int, policy: RiskPolicy) -> PendingReason:
    """``reason`` as it will be built when read."""
    return (CODE, bid, reason, (bid, updated, target, policy))
