"""Grouping by destination and when the rest of a destination's messages may follow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.notifier.domain.pacing import by_destination, held_due_times, hold_rest_until
from services.notifier.domain.retry import Verdict

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def test_messages_are_grouped_by_channel_and_destination_in_order() -> None:
    messages = [
        {"_id": "1", "channel": "slack", "destination": "a"},
        {"_id": "2", "channel": "webhook", "destination": "a"},
        {"_id": "3", "channel": "slack", "destination": "a"},
        {"_id": "4", "channel": "slack", "destination": "b"},
    ]
    groups = [[m["_id"] for m in g] for g in by_destination(messages)]
    assert groups == [["1", "3"], ["2"], ["4"]]


def test_a_retry_holds_the_rest_until_it_is_due() -> None:
    later = NOW + timedelta(seconds=30)
    assert hold_rest_until("webhook", Verdict("retrying", later), NOW) == later
    assert hold_rest_until("slack", Verdict("retrying", later), NOW) == later


def test_slack_is_paced_a_second_apart_and_webhooks_are_not() -> None:
    assert hold_rest_until("slack", Verdict("sent"), NOW) == NOW + timedelta(seconds=1)
    assert hold_rest_until("webhook", Verdict("sent"), NOW) is None
    assert hold_rest_until("email", Verdict("failed"), NOW) is None


def test_held_messages_get_increasing_due_times() -> None:
    times = held_due_times(NOW, 3)
    assert times == sorted(times)
    assert len(set(times)) == 3
    assert times[0] > NOW
