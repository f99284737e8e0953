"""Thin: decode work and demand events, run the projection use case, publish risk changes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from faststream.nats import NatsBroker
from opentelemetry.trace import Link, get_current_span

from services.scheduler.config import SchedulerSettings
from services.scheduler.handlers import project_work, risk_changed
from services.scheduler.ports import AssessmentStore, WorkStore
from services.scheduler.state import LivePortfolio
from shared.consumer import BatchSettler, Envelope, Outcome, subscribe_batches
from shared.publishing import EventPublisher
from shared.subjects import SCHEDULER_DEMAND, SCHEDULER_WORK
from shared.telemetry import Telemetry


def register(
    broker: NatsBroker,
    settings: SchedulerSettings,
    store: WorkStore,
    live: LivePortfolio,
    assessments: AssessmentStore,
    publisher: EventPublisher,
    telemetry: Telemetry,
) -> None:
    async def handle(envelopes: Sequence[Envelope]) -> Outcome:
        contexts = {id(e.event): e.context for e in envelopes}
        # The batch continues the trace of its last message and links the others.
        links = [Link(get_current_span(e.context).get_span_context()) for e in envelopes[:-1]]
        with telemetry.tracer.start_as_current_span(
            "project work", context=envelopes[-1].context, links=links
        ) as span:
            span.set_attribute("messaging.batch.message_count", len(envelopes))
            now = datetime.now(UTC)
            async with live.lock:
                changes = await project_work(
                    [e.event for e in envelopes], store, live.portfolio, assessments, now.date()
                )
                return [
                    (risk_changed(change, live.portfolio, cause.event_id, now), contexts[id(cause)])
                    for cause, change in changes
                ]

    for spec, title in (
        (SCHEDULER_WORK, "on_work_changed"),
        (SCHEDULER_DEMAND, "on_demand_changed"),
    ):
        settler = BatchSettler(spec, handle, publisher, telemetry.tracer)
        subscribe_batches(broker, spec, settler, settings.batch_size, title)
