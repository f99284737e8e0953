"""A burst of announcements is pipelined through a bounded window, and a failure stops it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from opentelemetry import context as otel_context

from shared.batch_publishing import PUBLISH_ATTEMPTS, publish_pipelined
from shared.events import Event, RiskChangedV1, RiskLevel, Source
from tests.unit.scheduler_app.support import RecordingPublisher

pytestmark = pytest.mark.unit
NOW = datetime(2026, 1, 5, tzinfo=UTC)


def change(n: int) -> RiskChangedV1:
    return RiskChangedV1(
        event_id=f"risk-{n}",
        occurred_at=NOW,
        source=Source.SLIPSTREAM,
        item_id=f"jira:W-{n}",
        level=RiskLevel.AT_RISK,
    )


class SlowPublisher(RecordingPublisher):
    """Acks after a few loop turns, counting how many publishes wait for an ack at once;
    the ``fail_at``-th publish alone fails."""

    def __init__(self, fail_at: int | None = None) -> None:
        super().__init__()
        self.in_flight = self.most_in_flight = self.attempts = 0
        self.fail_at = fail_at

    async def publish(self, event: Event, context: otel_context.Context | None = None) -> None:
        self.in_flight += 1
        self.attempts += 1
        attempt = self.attempts
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            for _ in range(3):
                await asyncio.sleep(0)
            if attempt == self.fail_at:
                raise ConnectionError("JetStream did not answer")
            await super().publish(event, context)
        finally:
            self.in_flight -= 1


async def test_every_announcement_is_published_with_a_bounded_number_in_flight() -> None:
    publisher = SlowPublisher()
    await publish_pipelined(publisher, [(change(n), None) for n in range(200)], window=8)

    assert sorted(e.event_id for e in publisher.events) == sorted(f"risk-{n}" for n in range(200))
    assert publisher.most_in_flight == 8


async def test_a_failed_publish_fails_the_burst_and_leaves_nothing_running() -> None:
    publisher = SlowPublisher(fail_at=20)
    with pytest.raises(ConnectionError):
        await publish_pipelined(publisher, [(change(n), None) for n in range(200)], window=8)
    published = len(publisher.events)
    for _ in range(20):
        await asyncio.sleep(0)

    assert publisher.in_flight == 0
    assert len(publisher.events) == published < 200


class TimingOutPublisher(RecordingPublisher):
    def __init__(self, timeouts: int) -> None:
        super().__init__()
        self.timeouts = timeouts

    async def publish(self, event: Event, context: otel_context.Context | None = None) -> None:
        if self.timeouts:
            self.timeouts -= 1
            raise TimeoutError("nats: timeout")
        await super().publish(event, context)


async def test_a_timed_out_publish_is_sent_again_under_the_same_id() -> None:
    publisher = TimingOutPublisher(timeouts=PUBLISH_ATTEMPTS - 1)
    await publish_pipelined(publisher, [(change(1), None)])

    assert [e.event_id for e in publisher.events] == ["risk-1"]


async def test_a_publish_that_keeps_timing_out_fails_the_burst() -> None:
    publisher = TimingOutPublisher(timeouts=PUBLISH_ATTEMPTS)
    with pytest.raises(TimeoutError):
        await publish_pipelined(publisher, [(change(1), None)])
