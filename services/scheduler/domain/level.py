"""The level of an open item with at least one reason (one without any is on track; so is a
done item, whatever happened on the way): off track when the item itself is overdue or slips
by ``off_track_slip_days`` or more, else at risk."""

from __future__ import annotations

from typing import Any

from services.scheduler.domain.dates import Values
from services.scheduler.domain.model import RiskPolicy
from shared.events import RiskLevel


def is_off_track(slip: Values, overdue_itself: Any, policy: RiskPolicy) -> Values:
    return (slip >= policy.off_track_slip_days) | overdue_itself


# The level of an item with a reason, by whether it is off track.
LEVEL_OF = {True: RiskLevel.OFF_TRACK, False: RiskLevel.AT_RISK}
