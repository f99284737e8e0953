"""Thin: take typed feedback batches, call the handler, let the settler publish and ack."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from faststream.nats import NatsBroker
from opentelemetry import context as otel_context

from services.feedback.config import FeedbackSettings
from services.feedback.handlers import FEEDBACK_RECORDS, Weighing, project_feedback
from services.feedback.ports import FeedbackStore
from shared.consumer import BatchSettler, Envelope, Outcome, subscribe_batches
from shared.events.streams import FeedbackEvent
from shared.publishing import EventPublisher
from shared.subjects import FEEDBACK_RECEIVED
from shared.telemetry import Telemetry


def register(
    broker: NatsBroker,
    settings: FeedbackSettings,
    store: FeedbackStore,
    publisher: EventPublisher,
    telemetry: Telemetry,
    weighing: Weighing | None = None,
) -> None:
    async def handle(envelopes: Sequence[Envelope]) -> Outcome:
        events = [FEEDBACK_RECORDS(e.event) for e in envelopes]
        with telemetry.tracer.start_as_current_span(
            "project feedback", context=envelopes[-1].context
        ) as span:
            span.set_attribute("messaging.batch.message_count", len(events))
            changes = await project_feedback(events, store, datetime.now(UTC), weighing)
            here = otel_context.get_current()
            return [(change, here) for change in changes]

    settler = BatchSettler(
        FEEDBACK_RECEIVED, handle, publisher, telemetry.tracer, payload=FeedbackEvent
    )

    subscribe_batches(
        broker, FEEDBACK_RECEIVED, settler, settings.batch_size, "on_feedback_received"
    )
