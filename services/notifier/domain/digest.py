"""Digest windows: what one person hears on one channel, collected and sent as one message.

The first change for a person and channel opens a window of ``digest_seconds`` and is *not*
sent at once: the whole window goes out when it closes, so a root slip that turns many items
red is one message, not one for the first item and a digest for the rest. ``digest_seconds=0``
closes the window as it opens (immediate). An item that moves and moves back inside the
window cancels out: what the person was last told is unchanged, so nothing is listed for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from services.notifier.domain.change import SEVERITY, Change
from shared.events import RiskLevel


@dataclass(frozen=True)
class DigestEntry:
    """``told`` is the level the person last heard for the item (before this window)."""

    told: RiskLevel | None
    latest: Change

    @property
    def cancelled(self) -> bool:
        told = self.told or RiskLevel.ON_TRACK
        return self.latest.levelled and self.latest.level == told


@dataclass(frozen=True)
class DigestWindow:
    person_id: str
    channel: str
    opened_at: datetime
    closes_at: datetime
    entries: dict[str, DigestEntry] = field(default_factory=dict)

    def is_due(self, now: datetime) -> bool:
        return now >= self.closes_at

    def ranked(self) -> list[Change]:
        """What the message lists: worst level first, then the item id for a stable order."""
        live = [entry.latest for entry in self.entries.values() if not entry.cancelled]
        return sorted(live, key=lambda change: (-SEVERITY[change.level], change.item_id))

    def cause_ids(self) -> tuple[str, ...]:
        return tuple(sorted(entry.latest.cause_id for entry in self.entries.values()))


def collect(
    window: DigestWindow | None,
    person_id: str,
    channel: str,
    change: Change,
    digest_seconds: int,
    now: datetime,
    last_told: RiskLevel | None = None,
) -> DigestWindow:
    """Add a change to the open window, or open one; a later change for an item replaces it.

    ``last_told`` is the level this person was last sent for the item, when known; a replayed
    change that only repeats it cancels out like a revert. Unknown: the change's own before.
    """
    if window is None:
        window = DigestWindow(person_id, channel, now, now + timedelta(seconds=digest_seconds))
    earlier = window.entries.get(change.key)
    before = last_told if last_told is not None else change.previous_level
    told = earlier.told if earlier is not None else before
    if earlier is not None and earlier.latest.cause_id == change.cause_id:
        return window  # a redelivered event is already in the window
    entries = {**window.entries, change.key: DigestEntry(told, change)}
    return replace(window, entries=entries)


def postpone(window: DigestWindow, until: datetime) -> DigestWindow:
    """Held (throttle, quiet hours) windows keep collecting until they are sent."""
    return replace(window, closes_at=max(window.closes_at, until))
