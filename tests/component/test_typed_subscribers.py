"""Typed subscribers on TestNatsBroker: the body is validated per message, poison dead-letters.

TestNatsBroker delivers each publish as a one-message batch and its acks are no-ops, so batch
isolation on a real server is shown in ``tests/integration/test_typed_batches.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from faststream.nats import JStream, NatsMessage, TestNatsBroker
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.trace import TracerProvider

from services.feedback import subscribers as feedback_subscribers
from services.feedback.config import FeedbackSettings
from services.feedback.handlers import Weighing
from shared.broker import create_broker
from shared.events import DemandChangedV1, FeedbackReceivedV1
from shared.publishing import JetStreamPublisher
from shared.subjects import DEAD_LETTERS, FEEDBACK, FEEDBACK_RECEIVED, dead_letter_subject
from shared.telemetry import Telemetry
from tests.support.fakes import InMemoryFeedbackStore, InMemoryWorkProjection

pytestmark = pytest.mark.component

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def feedback(feedback_id: str, item_id: str) -> FeedbackReceivedV1:
    return FeedbackReceivedV1(
        event_id=feedback_id,
        occurred_at=NOW,
        source="canny",
        feedback_id=feedback_id,
        customer_id="email:a@acme.test",
        item_ids=(item_id,),
        source_updated_at=NOW,
    )


async def test_an_invalid_feedback_is_dead_lettered_with_its_reason_and_a_valid_one_lands() -> None:
    telemetry = Telemetry("test", TracerProvider(), NoOpMeterProvider())
    settings = FeedbackSettings()
    broker = create_broker(settings, telemetry)
    store = InMemoryFeedbackStore()
    feedback_subscribers.register(
        broker, settings, store, JetStreamPublisher(broker), telemetry, Weighing(store),
        InMemoryWorkProjection(),
    )  # fmt: skip
    dead: list[tuple[bytes, str]] = []

    @broker.subscriber(
        dead_letter_subject(FEEDBACK_RECEIVED.durable),
        stream=JStream(DEAD_LETTERS.name, declare=False),
    )
    async def parked(body: Any, message: NatsMessage) -> None:
        dead.append((message.body, message.headers["Slipstream-Reason"]))

    @broker.subscriber(DemandChangedV1.subject, stream=JStream(FEEDBACK.name, declare=False))
    async def demand(event: DemandChangedV1) -> None:
        pass

    async with TestNatsBroker(broker) as test_broker:
        invalid = b'{"event_id": "f0", "source": "canny"}'
        await test_broker.publish(invalid, FeedbackReceivedV1.subject)
        valid = feedback("f1", "jira:PAY-12")
        await test_broker.publish(valid.model_dump_json(), FeedbackReceivedV1.subject)
        published = DemandChangedV1.model_validate(demand.mock.call_args.args[0])

    [(body, reason)] = dead
    assert body == invalid
    assert reason.startswith("undecodable: ")
    assert "feedback_id" in reason  # pydantic names the missing field
    assert (published.item_id, published.customers) == ("jira:PAY-12", 1)
