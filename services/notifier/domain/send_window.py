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


def message_id(window: DigestWindow) -> str:
    """One stable idempotency key per digest: the same window always yields the same id."""
    opened = window.opened_at.isoformat()
    return "msg_" + derive_event_id("digest", window.person_id, window.channel, opened)
