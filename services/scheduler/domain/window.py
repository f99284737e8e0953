"""The window of days an assessment holds for: between the thresholds its rules have crossed.

Every rule that reads ``today`` is a threshold "today >= t" (``crossed``), so an assessment
holds from the latest threshold crossed to the earliest one pending; the timer re-checks an
item only when it leaves that window.
"""

from __future__ import annotations

from services.scheduler.domain.dates import Values

FOREVER = 1 << 30


def crossed(threshold: Values, today: int) -> Values:
    return threshold <= today


def ahead(threshold: Values, today: int) -> Values:
    """Not ``crossed`` (``~`` would not do: on a Python bool it is arithmetic)."""
    return threshold > today


class Window:
    """Collects the thresholds one assessment reads: ``[start, until)``."""

    __slots__ = ("start", "today", "until")

    def __init__(self, today: int) -> None:
        self.today, self.start, self.until = today, 0, FOREVER

    def passed(self, threshold: int) -> bool:
        if crossed(threshold, self.today):
            if threshold > self.start:
                self.start = threshold
            return True
        if threshold < self.until:
            self.until = threshold
        return False
