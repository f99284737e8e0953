"""Thin: take typed work and demand batches, run the projection use case, announce changes.

Risk changes are published here, before the batch's assessments are stored and acked, rather
than handed back to the settler: that order is what makes a failed publish repeat on the retry
instead of vanishing (see ``mirror``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from faststream.nats import NatsBroker
from opentelemetry import context as otel_context
from opentelemetry.trace import Link, get_current_span

from services.scheduler.announcer import RiskAnnouncer
from services.scheduler.config import SchedulerSettings
from services.scheduler.domain import AssessmentChange
from services.scheduler.handlers import cause_of, project_work
from services.scheduler.ports import WorkStore
from shared.consumer import (
    BatchHandler,
    BatchSettler,
    Envelope,
    Outcome,
    Subscription,
    subscribe_batches,
)
from shared.events import DemandChangedV1, Event
from shared.events.streams import WorkEvent
from shared.publishing import EventPublisher
from shared.subjects import SCHEDULER_DEMAND, SCHEDULER_WORK
from shared.telemetry import Telemetry

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def batch_handler(
    store: WorkStore, announcer: RiskAnnouncer, telemetry: Telemetry, clock: Clock = utc_now
) -> BatchHandler:
    live = announcer.live

    async def handle(envelopes: Sequence[Envelope]) -> Outcome:
        batch = [e.event for e in envelopes]
        contexts = {id(e.event): e.context for e in envelopes}
        applied: list[Event] = []
        # The batch continues the trace of its last message and links the others.
        links = [Link(get_current_span(e.context).get_span_context()) for e in envelopes[:-1]]
        with telemetry.tracer.start_as_current_span(
            "project work", context=envelopes[-1].context, links=links
        ) as span:
            span.set_attribute("messaging.batch.message_count", len(envelopes))
            now = clock()

            async def recompute() -> None:
                applied.extend(await project_work(batch, store, live.portfolio, now.date()))

            def cause(change: AssessmentChange) -> otel_context.Context:
                return contexts[id(cause_of(change.item_id, batch))]

            async with live.lock:
                await announcer.reassess("events", recompute, cause, now)
            span.set_attribute("slipstream.events.applied", len(applied))
        return []

    return handle


def register(
    broker: NatsBroker,
    settings: SchedulerSettings,
    store: WorkStore,
    announcer: RiskAnnouncer,
    publisher: EventPublisher,
    telemetry: Telemetry,
    clock: Clock = utc_now,
) -> list[Subscription]:
    """Register (not start) the work and demand subscribers; the leader starts them."""
    handle = batch_handler(store, announcer, telemetry, clock)
    return [
        subscribe_batches(
            broker,
            spec,
            BatchSettler(spec, handle, publisher, telemetry.tracer, payload=payload),
            settings.batch_size,
            title,
        )
        for spec, title, payload in (
            (SCHEDULER_WORK, "on_work_changed", WorkEvent),
            (SCHEDULER_DEMAND, "on_demand_changed", DemandChangedV1),
        )
    ]
