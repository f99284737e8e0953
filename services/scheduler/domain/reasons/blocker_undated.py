"""``blocker_undated``: a blocker not known to the scheduler yet, or open with neither a
target nor a forecast."""

from __future__ import annotations

from functools import lru_cache

from services.scheduler.domain.dates import Values, pick
from services.scheduler.domain.model import PendingReason
from shared.events import RiskReason

CODE = "blocker_undated"


def is_undated(known: Values, is_open: Values, target: Values, finish: Values) -> Values:
    return pick(known, is_open & (target < 0) & (finish < 0), True)


@lru_cache(maxsize=8192)
def reason(bid: str, known: bool) -> RiskReason:
    message = "has no target date" if known else "is not known to the scheduler yet"
    return RiskReason(
        code=CODE,
        message=f"{bid} {message}",
        blocker_id=bid,
        evidence={"blocker_known": "true" if known else "false"},
    )


def pending(bid: str, known: bool) -> PendingReason:
    """``reason`` as it will be built when read."""
    return (CODE, bid, reason, (bid, known))
