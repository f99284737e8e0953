"""Release risk events against in-memory stores: once per crossing, either way, retry-safe."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from opentelemetry import context as otel_context

from services.scheduler.announcer import RiskAnnouncer
from services.scheduler.domain import RiskPolicy
from services.scheduler.handlers import project_work
from services.scheduler.live_portfolio import LivePortfolio
from services.scheduler.mirror import AssessmentMirror
from services.scheduler.release_watch import ReleaseWatch
from shared.events import Event, ReleaseRiskChangedV1
from tests.unit.scheduler_app.fakes import (
    InMemoryAssessmentStore,
    InMemoryReleaseOutlooks,
    InMemoryWorkStore,
)
from tests.unit.scheduler_app.support import (
    TODAY,
    RecordingPublisher,
    day,
    edge,
    item,
    release,
    telemetry,
)

pytestmark = pytest.mark.unit
NOW = datetime.combine(TODAY, datetime.min.time(), UTC)


class FailingReleases(RecordingPublisher):
    """Fails the next ``failures`` release events only; item risk changes go through."""

    async def publish(self, event: Event, context: otel_context.Context | None = None) -> None:
        if isinstance(event, ReleaseRiskChangedV1) and self.failures:
            self.failures -= 1
            raise ConnectionError("JetStream did not answer")
        self.events.append(event)


class Harness:
    def __init__(self, step_days: int = 7) -> None:
        self.store = InMemoryWorkStore()
        self.outlooks = InMemoryReleaseOutlooks(self.store)
        self.publisher = FailingReleases()
        self.live = LivePortfolio.empty(RiskPolicy())
        mirror = AssessmentMirror(InMemoryAssessmentStore())
        watch = ReleaseWatch(self.outlooks, self.publisher, telemetry()[0], step_days)
        self.announcer = RiskAnnouncer(
            self.live, mirror, self.publisher, telemetry()[0], releases=watch
        )

    async def feed(self, batch: list[Event]) -> None:

        async def recompute() -> None:
            await project_work(batch, self.store, self.live.portfolio, TODAY)

        await self.announcer.reassess("events", recompute, lambda c: None, NOW)

    def released(self) -> list[ReleaseRiskChangedV1]:
        return [e for e in self.publisher.events if isinstance(e, ReleaseRiskChangedV1)]


def blocker_due(offset: int, minute: int) -> Event:
    return item("jira:B", minute, target=offset)


START = [
    release("R", due=10),
    item("jira:A", 1, target=8, release_id="R"),
    blocker_due(5, 1),
    edge("jira:B", "jira:A", 2),
]


async def test_release_on_time_says_nothing() -> None:
    harness = Harness()
    await harness.feed(START)
    assert harness.released() == []


async def test_slip_past_the_date_is_announced_once_even_when_redelivered() -> None:
    harness = Harness()
    await harness.feed(START)
    await harness.feed([blocker_due(15, 3)])
    await harness.feed([blocker_due(15, 3)])
    [slipped] = harness.released()
    assert slipped.slipping
    dates = (slipped.target, slipped.forecast, slipped.previous_forecast)
    assert dates == (day(10), day(15), day(8))
    assert slipped.slip_days == 5
    assert slipped.threatened_by == ("jira:A",)
    assert slipped.titles == {"jira:A": "jira:A"}  # the test items are titled by their ids
    assert slipped.name == "Release R"


async def test_wobble_is_quiet_a_big_move_and_the_recovery_are_announced() -> None:
    harness = Harness(step_days=7)
    await harness.feed(START)
    await harness.feed([blocker_due(15, 3)])
    await harness.feed([blocker_due(17, 4)])  # two days more: a wobble
    await harness.feed([blocker_due(25, 5)])  # ten from the announced fifteen
    await harness.feed([blocker_due(6, 6)])
    states = [(e.slipping, e.forecast, e.previous_forecast) for e in harness.released()]
    assert states == [
        (True, day(15), day(8)),
        (True, day(25), day(17)),
        (False, day(8), day(25)),
    ]
    assert len({e.event_id for e in harness.released()}) == 3
    assert harness.released()[-1].threatened_by == ()
    assert harness.released()[-1].titles == {}


async def test_without_a_step_only_crossings_are_announced() -> None:
    harness = Harness(step_days=0)
    await harness.feed(START)
    await harness.feed([blocker_due(15, 3)])
    await harness.feed([blocker_due(40, 4)])
    assert [e.slipping for e in harness.released()] == [True]


async def test_a_failed_publish_repeats_the_same_event_on_the_retry() -> None:
    harness = Harness()
    await harness.feed(START)
    harness.publisher.failures = 1
    with pytest.raises(ConnectionError):
        await harness.feed([blocker_due(15, 3)])
    assert harness.released() == []
    await harness.feed([blocker_due(15, 3)])  # redelivered after the nack
    await harness.feed([blocker_due(15, 3)])
    assert [e.slipping for e in harness.released()] == [True]


async def test_slipping_again_after_recovering_gets_a_new_event_id() -> None:
    harness = Harness()
    await harness.feed(START)
    await harness.feed([blocker_due(15, 3)])
    await harness.feed([blocker_due(5, 4)])
    await harness.feed([blocker_due(15, 5)])
    ids = [e.event_id for e in harness.released()]
    assert len(ids) == 3
    assert len(set(ids)) == 3
