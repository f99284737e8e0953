"""Feedback on an item over time, and when it surges.

Each live piece of feedback counts once, at the moment it was first asked (the earliest
source time we saw for it), so edits to an old ticket do not look like new demand.

Method (``SurgePolicy``), with ``now`` given by the caller:

    recent   = pieces asked in (now - window, now]
    baseline = pieces asked in the ``baseline_windows`` windows before that, divided by
               ``baseline_windows``: the item's own usual count for one window
    surge   <=> recent >= min_recent  and  recent >= ratio x max(baseline, floor)

Defaults: a 24-hour window against the 28 days before it, at least 5 pieces and 3x the
baseline; ``floor`` (1 piece) keeps an item nobody asked for from surging on the first few
requests of its life. A surge is announced once per episode: not again while the previous
announcement is younger than one window.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class SurgePolicy:
    window: timedelta = timedelta(hours=24)
    baseline_windows: int = 28
    min_recent: int = 5
    ratio: float = 3.0
    floor: float = 1.0
    trend_buckets: int = 7

    def __post_init__(self) -> None:
        if self.window <= timedelta(0) or self.baseline_windows < 1 or self.trend_buckets < 1:
            raise ValueError("window, baseline_windows and trend_buckets must be positive")
        if self.min_recent < 1 or self.ratio <= 1 or self.floor < 0:
            raise ValueError("min_recent >= 1, ratio > 1 and floor >= 0 are required")


@dataclass(frozen=True)
class Rate:
    recent: int
    baseline: float

    def surging(self, policy: SurgePolicy) -> bool:
        expected = max(self.baseline, policy.floor)
        return self.recent >= policy.min_recent and self.recent >= policy.ratio * expected


def rate(asked: Iterable[datetime], now: datetime, policy: SurgePolicy) -> Rate:
    recent_from = now - policy.window
    baseline_from = recent_from - policy.window * policy.baseline_windows
    recent = earlier = 0
    for at in asked:
        if recent_from < at <= now:
            recent += 1
        elif baseline_from < at <= recent_from:
            earlier += 1
    return Rate(recent, round(earlier / policy.baseline_windows, 4))


def trend(asked: Iterable[datetime], now: datetime, policy: SurgePolicy) -> list[int]:
    """Pieces asked per window, oldest first, the last bucket ending at ``now``."""
    counts = [0] * policy.trend_buckets
    for at in asked:
        if at > now:
            continue
        back = int((now - at) / policy.window)
        if back < policy.trend_buckets:
            counts[-1 - back] += 1
    return counts


def surge_to_announce(
    asked: Sequence[datetime], now: datetime, last_announced: datetime | None, policy: SurgePolicy
) -> Rate | None:
    """The rate to announce, or None: not surging, or this episode was announced already."""
    found = rate(asked, now, policy)
    if not found.surging(policy):
        return None
    if last_announced is not None and now - last_announced < policy.window:
        return None
    return found
