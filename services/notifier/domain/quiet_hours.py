"""Quiet hours in the person's own time zone: messages are held until they end, never dropped."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.notifier.domain.people import Person, QuietHours


def is_quiet(quiet: QuietHours, local: time) -> bool:
    if quiet.start == quiet.end:
        return False
    if quiet.start < quiet.end:
        return quiet.start <= local < quiet.end
    return local >= quiet.start or local < quiet.end  # wraps past midnight


def quiet_until(person: Person, now: datetime) -> datetime | None:
    """When the person's quiet hours end (in UTC), or None if they may be told now."""
    quiet = person.quiet_hours
    if quiet is None:
        return None
    local = now.astimezone(ZoneInfo(person.timezone))
    if not is_quiet(quiet, local.time()):
        return None
    end = local.replace(hour=quiet.end.hour, minute=quiet.end.minute, second=0, microsecond=0)
    if end <= local:
        end = end + timedelta(days=1)
    # Re-resolve the wall-clock end in the zone so a DST change overnight is honoured.
    wall = end.replace(tzinfo=None)
    return wall.replace(tzinfo=ZoneInfo(person.timezone)).astimezone(UTC)


def send_time(person: Person, ready_at: datetime) -> datetime:
    """The earliest moment at or after ``ready_at`` outside the person's quiet hours."""
    return quiet_until(person, ready_at) or ready_at
