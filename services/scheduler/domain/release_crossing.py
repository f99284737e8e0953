"""When a release's outlook is news: its forecast moving past its due date, or back within it.

A release slips when it is open, has a due date and its forecast (the latest of its items')
falls after that date, the same test as ``release_at_risk.threatens``. Only a crossing is
news, not every move of the forecast: a release two days late that becomes three days late
says nothing new. While it stays late, a move of at least ``step_days`` from the forecast
last announced is news again (0 turns that off), so a release that goes from one day late to
a month late is heard of twice, and one that wobbles by a day is heard of once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class ReleaseOutlook:
    """``target`` is the due date of an open release, None for one closed or undated."""

    target: date | None
    forecast: date | None

    @property
    def slipping(self) -> bool:
        return self.target is not None and self.forecast is not None and self.forecast > self.target

    @property
    def slip_days(self) -> int:
        if self.target is None or self.forecast is None:
            return 0
        return (self.forecast - self.target).days


@dataclass(frozen=True, slots=True)
class Announced:
    """What the last announcement said: slipping or not, and the forecast it carried."""

    slipping: bool
    forecast: date | None


def is_news(last: Announced | None, now: ReleaseOutlook, step_days: int) -> bool:
    """Whether ``now`` is announced, given what was last announced (None: never).

    A release never announced counts as on time, so one first seen on time says nothing.
    """
    was_slipping = last is not None and last.slipping
    if now.slipping != was_slipping:
        return True
    if not now.slipping or step_days <= 0 or last is None or last.forecast is None:
        return False
    assert now.forecast is not None, "a slipping release has a forecast"
    return abs((now.forecast - last.forecast).days) >= step_days
