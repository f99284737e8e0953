"""At most N messages per person and channel in a rolling window; the rest wait and fold in.

A throttled digest is not dropped: it is held until the oldest counted send leaves the window,
and changes arriving meanwhile join it, so the person gets one fuller message later.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ThrottlePolicy:
    limit: int = 5
    window_seconds: int = 3600

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window_seconds < 0:
            raise ValueError("a throttle allows at least one message over a non-negative window")


def next_send_allowed(
    sent_at: Sequence[datetime], policy: ThrottlePolicy, now: datetime
) -> datetime:
    """``now`` when under the limit, otherwise when enough earlier sends have aged out."""
    window = timedelta(seconds=policy.window_seconds)
    recent = sorted(moment for moment in sent_at if moment > now - window)
    if len(recent) < policy.limit:
        return now
    return recent[len(recent) - policy.limit] + window
