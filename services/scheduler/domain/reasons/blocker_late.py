"""``blocker_late``: a blocker alone pushes the item's forecast past its target, or, with no
target, finishes after the item's planned start. The same arithmetic as the forecast itself."""

from __future__ import annotations

from services.scheduler.domain.dates import Values, iso, pick
from services.scheduler.domain.model import PendingReason
from shared.events import RiskReason

CODE = "blocker_late"


def late_after(target: Values, start: Values, duration: Values) -> Values:
    """The latest blocker finish that does not make the item late; negative when none can."""
    return pick(target >= 0, target - duration, start)


def is_late(finish: Values, after: Values) -> Values:
    return (after >= 0) & (finish > after)


def reason(bid: str, finish: int, after: int, target: int, start: int) -> RiskReason:
    """The reason for a blocker for which ``is_late(finish, after)`` holds."""
    evidence = {"blocker_forecast": iso(finish), "days_late": str(finish - after)}
    if target >= 0:
        evidence["item_target"] = iso(target)
    if start >= 0:
        evidence["item_start"] = iso(start)
    what = "start" if start >= 0 else "target"
    return RiskReason(
        code=CODE,
        message=f"{bid} is forecast to finish on {iso(finish)}, after this item's planned {what}",
        blocker_id=bid,
        evidence=evidence,
    )


def pending(bid: str, finish: int, after: int, target: int, start: int) -> PendingReason:
    """``reason`` as it will be built when read."""
    return (CODE, bid, reason, (bid, finish, after, target, start))
