"""Per-destination order and channel rate limits for a pool that sends to many at once.

Messages to one destination go out one after another in the order they fell due; different
destinations may be served side by side. When one message must wait (a retry, or a channel's
minimum spacing such as Slack's about one message per second per incoming webhook), the rest
for that destination wait behind it — durably, by moving their ``due_at``, never by sleeping.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from services.notifier.domain.people import ChannelKind
from services.notifier.domain.retry import Verdict

MIN_SPACING: Mapping[str, timedelta] = {ChannelKind.SLACK.value: timedelta(seconds=1)}


def by_destination(messages: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Group claimed messages by where they go, each group in claim (due) order."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for message in messages:
        key = (message["channel"], str(message.get("destination")))
        groups.setdefault(key, []).append(message)
    return list(groups.values())


def hold_rest_until(channel: str, verdict: Verdict, now: datetime) -> datetime | None:
    """When the destination's next message may go, or None when it may go at once."""
    if verdict.state == "retrying" and verdict.retry_at is not None:
        return verdict.retry_at
    spacing = MIN_SPACING.get(channel)
    return now + spacing if spacing else None


def held_due_times(hold: datetime, count: int) -> list[datetime]:
    """Distinct, increasing due times so the held messages keep their order when claimed."""
    return [hold + timedelta(microseconds=index + 1) for index in range(count)]
