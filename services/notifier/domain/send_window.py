"""When a due digest may actually go: after the throttle allows it and outside quiet hours."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from services.notifier.domain.digest import DigestWindow
from services.notifier.domain.people import Person
from services.notifier.domain.quiet_hours import send_time
from services.notifier.domain.throttle import ThrottlePolicy, next_send_allowed
from shared.events import derive_event_id


def release_at(
    window: DigestWindow,
    person: Person,
    sent_at: Sequence[datetime],
    policy: ThrottlePolicy,
    now: datetime,
) -> datetime:
    """The throttle first, then quiet hours from that moment (a throttle only eases with time)."""
    ready = max(window.closes_at, next_send_allowed(sent_at, policy, now))
    return send_time(person, ready)


def message_id(window: DigestWindow, version: int) -> str:
    """One stable idempotency key per digest: the same window, read again, yields the same id.

    The version is part of it so that a change which joins the window while it is being
    closed makes a new message (listing it) instead of colliding with the one already recorded.
    """
    opened = window.opened_at.isoformat()
    parts = ("digest", window.person_id, window.channel, opened, str(version))
    return "msg_" + derive_event_id(*parts)
