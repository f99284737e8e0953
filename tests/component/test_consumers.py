"""Subscribers wired to FastStream's TestNatsBroker: decode, handle, publish what comes out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from faststream.nats import JStream, TestNatsBroker
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.trace import TracerProvider

from services.feedback import subscribers as feedback_subscribers
from services.feedback.config import FeedbackSettings
from services.feedback.handlers import Weighing
from services.notifier import subscribers as notifier_subscribers
from services.notifier.config import NotifierSettings
from services.notifier.domain.change import Change
from services.notifier.domain.people import ChannelKind
from services.notifier.domain.routing import Route
from shared.broker import create_broker
from shared.events import (
    DemandChangedV1,
    FeedbackReceivedV1,
    RiskChangedV1,
    RiskLevel,
)
from shared.publishing import JetStreamPublisher
from shared.subjects import FEEDBACK
from shared.telemetry import Telemetry
from tests.support.fakes import InMemoryFeedbackStore, InMemoryOutbox, InMemoryWorkProjection

pytestmark = pytest.mark.component

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def telemetry() -> Telemetry:
    return Telemetry("test", TracerProvider(), NoOpMeterProvider())


class HandedOver:
    """The delivery loop as the notifier's subscribers see it: what they hand it to send."""

    def __init__(self) -> None:
        self.handed: list[str] = []
        self.wakes = 0

    def wake(self) -> None:
        self.wakes += 1

    def hand(self, messages: list[dict[str, Any]]) -> None:
        self.handed += [m["_id"] for m in messages]


async def test_a_risk_change_is_recorded_once_for_the_configured_webhook() -> None:
    settings = NotifierSettings(webhook_url="https://hooks.example/r")
    broker = create_broker(settings, telemetry())
    outbox, delivery = InMemoryOutbox(), HandedOver()
    publisher = JetStreamPublisher(broker)
    notifier_subscribers.register(broker, settings, outbox, telemetry(), publisher, None, delivery)
    change = RiskChangedV1(
        event_id="r1",
        occurred_at=NOW,
        source="slipstream",
        item_id="jira:PAY-12",
        level=RiskLevel.OFF_TRACK,
    )
    async with TestNatsBroker(broker) as test_broker:
        await test_broker.publish(change.model_dump_json(), RiskChangedV1.subject)
        await test_broker.publish(change.model_dump_json(), RiskChangedV1.subject)
    (row,) = outbox.rows.values()
    assert delivery.handed == [row["_id"]], "recorded claimed and handed over once, not twice"
    assert (row["destination"], row["cause_event_id"]) == ("https://hooks.example/r", "r1")
    assert row["payload"]["type"] == "risk.changed"
    assert row["payload"]["data"]["item_id"] == "jira:PAY-12"


class RoutesTo:
    """A router that sends each change to the given routes (or to nobody)."""

    def __init__(self, routes: list[Route]) -> None:
        self.routes = routes

    async def route_batch(self, changes: Sequence[Change], now: datetime) -> list[list[Route]]:
        return [list(self.routes) for _ in changes]


@pytest.mark.parametrize(("routes", "wakes"), [([Route("ada", ChannelKind.SLACK, 0)], 1), ([], 0)])
async def test_a_change_routed_to_someone_wakes_the_delivery_loop(
    routes: list[Route], wakes: int
) -> None:
    """Its window may close at once: waiting for the poll would delay a person's message."""
    settings = NotifierSettings()
    broker = create_broker(settings, telemetry())
    delivery = HandedOver()
    notifier_subscribers.register(
        broker, settings, InMemoryOutbox(), telemetry(), JetStreamPublisher(broker),
        RoutesTo(routes), delivery,
    )  # fmt: skip
    change = RiskChangedV1(
        event_id="r2", occurred_at=NOW, source="slipstream", item_id="jira:PAY-13",
        level=RiskLevel.OFF_TRACK,
    )  # fmt: skip
    async with TestNatsBroker(broker) as test_broker:
        await test_broker.publish(change.model_dump_json(), RiskChangedV1.subject)
    assert (delivery.wakes, delivery.handed) == (wakes, [])


async def test_feedback_on_an_item_publishes_its_new_demand() -> None:
    broker = create_broker(FeedbackSettings(), telemetry())
    store = InMemoryFeedbackStore()
    feedback_subscribers.register(
        broker, FeedbackSettings(), store, JetStreamPublisher(broker), telemetry(),
        Weighing(store), InMemoryWorkProjection(),
    )  # fmt: skip

    @broker.subscriber(DemandChangedV1.subject, stream=JStream(FEEDBACK.name, declare=False))
    async def demand(event: DemandChangedV1) -> None:
        pass

    feedback = FeedbackReceivedV1(
        event_id="f1",
        occurred_at=NOW,
        source="canny",
        feedback_id="canny:post/1",
        customer_id="email:a@acme.test",
        item_ids=("jira:PAY-12",),
        source_updated_at=NOW,
    )
    async with TestNatsBroker(broker) as test_broker:
        await test_broker.publish(feedback.model_dump_json(), FeedbackReceivedV1.subject)
        published = DemandChangedV1.model_validate(demand.mock.call_args.args[0])
    assert (published.item_id, published.customers) == ("jira:PAY-12", 1)
