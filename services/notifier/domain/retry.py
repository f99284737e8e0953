"""When to try a message again, after which attempts to give up, and what counts as final.

The default schedule is Svix's: immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h
after each failure. ``Retry-After`` on 429 and 503 moves the next attempt later (never earlier).
A 4xx other than 408 and 429 fails at once: the same request will not start working.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

DEFAULT_SCHEDULE_SECONDS: tuple[int, ...] = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
HONOURS_RETRY_AFTER = (429, 503)
# Final states an operator may send again (POST /notifications/redrive).
REDRIVABLE_STATES = ("failed", "dead")


@dataclass(frozen=True)
class AttemptResult:
    """One try: a status code, or ``None`` for a transport failure (refused, timed out)."""

    status_code: int | None
    retry_after: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Verdict:
    """``state`` is ``sent``, ``retrying`` (with ``retry_at``), ``failed`` or ``dead``."""

    state: str
    retry_at: datetime | None = None


def is_final_failure(status_code: int) -> bool:
    return 400 <= status_code < 500 and status_code not in (408, 429)


def retry_after_seconds(header: str | None, now: datetime) -> float | None:
    """``Retry-After`` is delta-seconds or an HTTP date; anything else is ignored."""
    if header is None:
        return None
    value = header.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


def judge(
    result: AttemptResult,
    attempts_made: int,
    now: datetime,
    schedule: tuple[int, ...] = DEFAULT_SCHEDULE_SECONDS,
) -> Verdict:
    """``attempts_made`` counts this one; the schedule's length is the number of attempts."""
    code = result.status_code
    if code is not None and 200 <= code < 300:
        return Verdict("sent")
    if code is not None and is_final_failure(code):
        return Verdict("failed")
    if attempts_made >= len(schedule):
        return Verdict("dead")
    delay = float(schedule[attempts_made])
    if code in HONOURS_RETRY_AFTER:
        asked = retry_after_seconds(result.retry_after, now)
        delay = max(delay, asked or 0.0)
    return Verdict("retrying", now + timedelta(seconds=delay))
