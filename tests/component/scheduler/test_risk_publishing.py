"""Scheduler subscribers on FastStream's TestNatsBroker: work events in, risk changes out.

TestNatsBroker does drive the batch pull subscriber (each publish arrives as a one-message
batch) and calls our manual-ack handler, but its messages' ack/nak/term are no-ops and carry no
JetStream metadata, so settlement (acks, backed-off retries, dead letters) is proven against a
real server in the integration tier, not here.
"""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from faststream.nats import JStream, TestNatsBroker

from services.scheduler import subscribers
from services.scheduler.announcer import RiskAnnouncer
from services.scheduler.config import SchedulerSettings
from services.scheduler.domain import RiskPolicy
from services.scheduler.live_portfolio import LivePortfolio
from services.scheduler.mirror import AssessmentMirror
from shared.broker import create_broker
from shared.events import RiskChangedV1
from shared.publishing import JetStreamPublisher
from shared.subjects import RISK, WORK
from tests.unit.scheduler_app.fakes import InMemoryAssessmentStore, InMemoryWorkStore
from tests.unit.scheduler_app.support import TODAY, edge, item, telemetry

pytestmark = pytest.mark.component
NOW = datetime.combine(TODAY, time(12), UTC)


async def test_blocking_a_near_item_publishes_one_risk_change_on_the_risk_stream() -> None:
    tele, spans = telemetry()
    broker = create_broker(SchedulerSettings(), tele)
    publisher = JetStreamPublisher(broker)
    announcer = RiskAnnouncer(
        LivePortfolio.empty(RiskPolicy()),
        AssessmentMirror(InMemoryAssessmentStore()),
        publisher,
        tele,
    )
    subscribers.register(
        broker, SchedulerSettings(), InMemoryWorkStore(), announcer, publisher, tele, lambda: NOW
    )
    received: list[RiskChangedV1] = []

    @broker.subscriber(RiskChangedV1.subject, stream=JStream(RISK.name, declare=False))
    async def on_risk(event: RiskChangedV1) -> None:
        received.append(event)

    async with TestNatsBroker(broker) as test_broker:
        for event in (item("jira:A-1", 1, target=10), item("jira:B-1", 1, target=30)):
            await test_broker.publish(event.model_dump_json(), event.subject, stream=WORK.name)
        added = edge("jira:B-1", "jira:A-1", 2)
        for _ in range(2):  # the second is a redelivery
            await test_broker.publish(added.model_dump_json(), added.subject, stream=WORK.name)

    [change] = received
    assert (change.item_id, change.level, change.chain) == (
        "jira:A-1",
        "off_track",
        ("jira:A-1", "jira:B-1"),
    )
    reassessed = [s for s in spans.get_finished_spans() if s.name == "reassess risk (events)"]
    assert [s.attributes["slipstream.risk.changes"] for s in reassessed] == [0, 0, 1, 0]
