"""Retry decisions: the Svix-like schedule, Retry-After, final 4xx and the dead letter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.notifier.domain.retry import (
    DEFAULT_SCHEDULE_SECONDS,
    AttemptResult,
    Verdict,
    judge,
    retry_after_seconds,
)

pytestmark = pytest.mark.unit

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def test_a_2xx_is_sent() -> None:
    assert judge(AttemptResult(204), 1, T0) == Verdict("sent")


@pytest.mark.parametrize("code", [400, 401, 403, 404, 410, 422])
def test_a_4xx_other_than_408_and_429_fails_at_once(code: int) -> None:
    assert judge(AttemptResult(code), 1, T0) == Verdict("failed")


def test_failures_follow_the_schedule_then_go_dead() -> None:
    delays = []
    for attempts in range(1, len(DEFAULT_SCHEDULE_SECONDS)):
        verdict = judge(AttemptResult(500), attempts, T0)
        assert verdict.state == "retrying"
        assert verdict.retry_at is not None
        delays.append(int((verdict.retry_at - T0).total_seconds()))
    assert delays == [5, 300, 1800, 7200, 18000, 36000, 36000]
    assert judge(AttemptResult(500), 8, T0) == Verdict("dead")


def test_transport_failures_and_408_are_retried() -> None:
    assert judge(AttemptResult(None, error="refused"), 1, T0).state == "retrying"
    assert judge(AttemptResult(408), 1, T0).state == "retrying"


def test_retry_after_on_429_and_503_pushes_the_next_attempt_later_never_earlier() -> None:
    asked = judge(AttemptResult(429, retry_after="120"), 1, T0)
    assert asked.retry_at == T0 + timedelta(seconds=120)
    smaller = judge(AttemptResult(503, retry_after="1"), 2, T0)
    assert smaller.retry_at == T0 + timedelta(seconds=300)
    ignored_on_500 = judge(AttemptResult(500, retry_after="999"), 1, T0)
    assert ignored_on_500.retry_at == T0 + timedelta(seconds=5)


def test_retry_after_accepts_seconds_or_an_http_date_and_ignores_junk() -> None:
    assert retry_after_seconds("30", T0) == 30
    assert retry_after_seconds("Wed, 02 Dec 2026 09:01:00 GMT", T0) == 60
    assert retry_after_seconds("Wed, 02 Dec 2026 08:00:00 GMT", T0) == 0
    assert retry_after_seconds("soon", T0) is None
    assert retry_after_seconds(None, T0) is None
