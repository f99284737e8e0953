"""Throttle and quiet hours with explicit clocks: held, folded in, never dropped."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from services.notifier.domain.change import Change
from services.notifier.domain.digest import collect
from services.notifier.domain.people import Person, QuietHours
from services.notifier.domain.quiet_hours import is_quiet, quiet_until, send_time
from services.notifier.domain.send_window import release_at
from services.notifier.domain.throttle import ThrottlePolicy, next_send_allowed
from shared.events import RiskLevel

pytestmark = pytest.mark.unit

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
NIGHTS = QuietHours(time(22, 0), time(7, 0))
BERLIN = Person("ada", "Ada", timezone="Europe/Berlin", quiet_hours=NIGHTS)


def test_under_the_limit_sends_now() -> None:
    policy = ThrottlePolicy(limit=2, window_seconds=600)
    assert next_send_allowed([T0 - timedelta(seconds=30)], policy, T0) == T0


def test_at_the_limit_waits_until_the_oldest_counted_send_ages_out() -> None:
    policy = ThrottlePolicy(limit=2, window_seconds=600)
    sent = [T0 - timedelta(seconds=500), T0 - timedelta(seconds=100), T0 - timedelta(seconds=9000)]
    assert next_send_allowed(sent, policy, T0) == T0 + timedelta(seconds=100)


def test_a_throttle_must_allow_something() -> None:
    with pytest.raises(ValueError, match="at least one message"):
        ThrottlePolicy(limit=0)


def test_quiet_hours_wrap_past_midnight() -> None:
    assert is_quiet(NIGHTS, time(23, 30))
    assert is_quiet(NIGHTS, time(6, 59))
    assert not is_quiet(NIGHTS, time(7, 0))
    assert not is_quiet(NIGHTS, time(21, 59))
    assert not is_quiet(QuietHours(time(9), time(9)), time(9))
    assert is_quiet(QuietHours(time(12), time(13)), time(12, 30))


def test_quiet_hours_are_read_in_the_person_time_zone() -> None:
    # 21:30 UTC is 22:30 in Berlin (CET, UTC+1): quiet until 07:00 Berlin = 06:00 UTC.
    evening = datetime(2026, 12, 2, 21, 30, tzinfo=UTC)
    assert quiet_until(BERLIN, evening) == datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
    assert quiet_until(Person("bob", "Bob", quiet_hours=NIGHTS), evening) is None


def test_after_midnight_the_end_is_the_same_local_morning() -> None:
    small_hours = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # 03:00 in Berlin
    assert send_time(BERLIN, small_hours) == datetime(2026, 12, 3, 6, 0, tzinfo=UTC)


def test_the_end_of_quiet_hours_follows_a_daylight_saving_change_overnight() -> None:
    # Europe/Berlin moves to CEST (UTC+2) at 02:00 local on 2026-03-29.
    before_switch = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)  # 23:00 CET
    assert quiet_until(BERLIN, before_switch) == datetime(2026, 3, 29, 5, 0, tzinfo=UTC)


def test_outside_quiet_hours_or_without_them_a_message_goes_when_ready() -> None:
    assert send_time(BERLIN, T0) == T0
    assert send_time(Person("bob", "Bob"), T0) == T0


def test_a_throttled_digest_that_lands_in_quiet_hours_waits_for_the_morning() -> None:
    evening = datetime(2026, 12, 2, 20, 50, tzinfo=UTC)  # 21:50 in Berlin
    window = collect(None, "ada", "slack", Change("c1", "a", RiskLevel.AT_RISK), 0, evening)
    policy = ThrottlePolicy(limit=1, window_seconds=1800)
    sent = [evening - timedelta(minutes=10)]  # throttled until 21:20 UTC = 22:20 Berlin: quiet
    assert release_at(window, BERLIN, sent, policy, evening) == datetime(
        2026, 12, 3, 6, 0, tzinfo=UTC
    )
    assert release_at(window, BERLIN, [], policy, evening) == evening
