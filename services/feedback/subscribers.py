"""Thin: take typed feedback batches, call the handler, let the settler publish and ack."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from faststream.nats import NatsBroker
from opentelemetry import context as otel_context

from services.feedback.closing import close_for_feedback, close_loops
from services.feedback.config import FeedbackSettings
from services.feedback.handlers import FEEDBACK_RECORDS, Weighing, project_feedback
from services.feedback.ports import FeedbackStore, WorkProjection
from shared.consumer import BatchSettler, Envelope, Outcome, subscribe_batches
from shared.events import DemandChangedV1, DemandSurgedV1, Event, LoopClosableV1
from shared.events.streams import FeedbackEvent, WorkEvent
from shared.publishing import EventPublisher
from shared.subjects import FEEDBACK_RECEIVED, FEEDBACK_WORK
from shared.telemetry import Telemetry, log_fields

logger = logging.getLogger(__name__)


def register(
    broker: NatsBroker,
    settings: FeedbackSettings,
    store: FeedbackStore,
    publisher: EventPublisher,
    telemetry: Telemetry,
    weighing: Weighing,
    work: WorkProjection,
) -> None:
    surges = telemetry.meter.create_counter(
        "slipstream.feedback.surges", description="Demand surges announced"
    )
    loops = LoopAnnouncer(publisher, work, telemetry)

    async def handle(envelopes: Sequence[Envelope]) -> Outcome:
        events = [FEEDBACK_RECORDS(e.event) for e in envelopes]
        with telemetry.tracer.start_as_current_span(
            "project feedback", context=envelopes[-1].context
        ) as span:
            span.set_attribute("messaging.batch.message_count", len(events))
            here = otel_context.get_current()

            async def announce(changes: Sequence[Event]) -> None:
                # Pipelined, as the settler would; before the demand is saved (see recompute).
                await asyncio.gather(*(publisher.publish(c, here) for c in changes))

            now = datetime.now(UTC)
            changes = await project_feedback(events, store, now, weighing, announce)
            for surge in (c for c in changes if isinstance(c, DemandSurgedV1)):
                surges.add(1)
                logger.info(
                    "demand surged",
                    extra=log_fields(
                        item_id=surge.item_id, recent=surge.recent, baseline=surge.baseline
                    ),
                )
            # New demand on work already done or released: its customers are told now.
            rose = {c.item_id for c in changes if isinstance(c, DemandChangedV1)}
            await loops.announce(await close_for_feedback(rose, work, weighing, now))
            return []

    settler = BatchSettler(
        FEEDBACK_RECEIVED, handle, publisher, telemetry.tracer, payload=FeedbackEvent
    )

    subscribe_batches(
        broker, FEEDBACK_RECEIVED, settler, settings.batch_size, "on_feedback_received"
    )


def register_work(
    broker: NatsBroker,
    settings: FeedbackSettings,
    work: WorkProjection,
    weighing: Weighing,
    publisher: EventPublisher,
    telemetry: Telemetry,
) -> None:
    loops = LoopAnnouncer(publisher, work, telemetry)

    async def handle(envelopes: Sequence[Envelope]) -> Outcome:
        with telemetry.tracer.start_as_current_span(
            "close feedback loops", context=envelopes[-1].context
        ) as span:
            span.set_attribute("messaging.batch.message_count", len(envelopes))
            events = [e.event for e in envelopes]
            await loops.announce(await close_loops(events, work, weighing, datetime.now(UTC)))
            return []

    settler = BatchSettler(FEEDBACK_WORK, handle, publisher, telemetry.tracer, payload=WorkEvent)
    subscribe_batches(broker, FEEDBACK_WORK, settler, settings.batch_size, "on_work_changed")


class LoopAnnouncer:
    """Publishes closable loops, then records them: a failure in between redelivers the batch,
    which decides again, and each closure's fixed event id keeps the stream at one copy."""

    def __init__(self, publisher: EventPublisher, work: WorkProjection, telemetry: Telemetry):
        self.publisher, self.work = publisher, work
        self.closed = telemetry.meter.create_counter(
            "slipstream.feedback.loops_closable", description="Closable loops announced, by cause"
        )

    async def announce(self, closable: Sequence[LoopClosableV1]) -> None:
        for event in closable:
            await self.publisher.publish(event)
        await self.work.record(closable)
        for event in closable:
            self.closed.add(1, {"because": event.because})
            logger.info(
                "loop closable",
                extra=log_fields(
                    item_id=event.item_id, because=event.because, customers=len(event.customers)
                ),
            )
