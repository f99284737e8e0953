"""When a person's weekly report is next due: a weekday and hour on their own wall clock.

The hour is local, so across a daylight-saving change the UTC instant moves and the report
still arrives at nine. An hour that does not exist that day (a spring-forward gap) is taken
at the same offset as just before the gap, i.e. an hour later on the wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class ReportSchedule:
    weekday: int  # 0 = Monday, as ``date.weekday()``
    hour: int

    def __post_init__(self) -> None:
        if not (0 <= self.weekday < 7 and 0 <= self.hour < 24):
            raise ValueError("a report schedule is a weekday 0-6 and an hour 0-23")


def local_run(schedule: ReportSchedule, zone: ZoneInfo, day: datetime) -> datetime:
    wall = datetime.combine(day.date(), time(schedule.hour), tzinfo=zone)
    return wall.astimezone(UTC)


def next_run(schedule: ReportSchedule, timezone: str, after: datetime) -> datetime:
    """The first scheduled instant strictly after ``after``, in UTC."""
    zone = ZoneInfo(timezone)
    local = after.astimezone(zone)
    ahead = (schedule.weekday - local.weekday()) % 7
    candidate = local_run(schedule, zone, local + timedelta(days=ahead))
    if candidate <= after:
        candidate = local_run(schedule, zone, local + timedelta(days=ahead + 7))
    return candidate
