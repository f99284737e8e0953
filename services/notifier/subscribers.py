"""Thin: take typed events, turn each into a change, route the batch, let the settler ack.

One durable consumer per subject (risk changes, release risk, demand surges, closable loops),
each declaring its own contract so anything else on the stream is dead-lettered, not guessed.
With ``NOTIFIER_WEBHOOK_URL`` set, each risk change is also recorded in the outbox as one
message to it (an implicit subscription: every risk change, immediately).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from faststream.nats import NatsBroker
from opentelemetry import context as otel_context
from opentelemetry import propagate

from services.notifier.config import NotifierSettings
from services.notifier.domain.webhook_message import implicit_message
from services.notifier.handlers import CHANGES_TO_NOTIFY
from services.notifier.ports import ChangeRouter, Delivery, Outbox
from shared.consumer import BatchSettler, Envelope, Outcome, subscribe_batches
from shared.events import (
    DemandSurgedV1,
    Event,
    LoopClosableV1,
    ReleaseRiskChangedV1,
    RiskChangedV1,
)
from shared.publishing import EventPublisher
from shared.subjects import (
    NOTIFIER_DEMAND_SURGED,
    NOTIFIER_LOOP_CLOSABLE,
    NOTIFIER_RELEASE_RISK,
    NOTIFIER_RISK,
    ConsumerSpec,
)
from shared.telemetry import Telemetry

logger = logging.getLogger(__name__)

# Each consumer, the one contract it takes and its subscriber's name in the AsyncAPI document.
CONSUMERS: tuple[tuple[ConsumerSpec, type[Event], str], ...] = (
    (NOTIFIER_RISK, RiskChangedV1, "on_risk_changed"),
    (NOTIFIER_RELEASE_RISK, ReleaseRiskChangedV1, "on_release_risk_changed"),
    (NOTIFIER_DEMAND_SURGED, DemandSurgedV1, "on_demand_surged"),
    (NOTIFIER_LOOP_CLOSABLE, LoopClosableV1, "on_loop_closable"),
)


def register(
    broker: NatsBroker,
    settings: NotifierSettings,
    outbox: Outbox,
    telemetry: Telemetry,
    publisher: EventPublisher,
    router: ChangeRouter | None = None,
    delivery: Delivery | None = None,
) -> None:
    """``delivery`` is handed what to send now, and woken when a window may close now."""
    destination = settings.webhook_url
    routed = telemetry.meter.create_counter(
        "notifier.routed", description="Changes routed into digest windows, by kind"
    )
    if destination is None:
        logger.info("NOTIFIER_WEBHOOK_URL is not set: risk changes go to people only")

    async def handle(envelopes: Sequence[Envelope]) -> Outcome:
        now = datetime.now(UTC)
        changes = [CHANGES_TO_NOTIFY(envelope.event) for envelope in envelopes]
        if router is not None and changes:
            with telemetry.tracer.start_as_current_span("notifier route batch") as span:
                span.set_attribute("notifier.changes", len(changes))
                routes = await router.route_batch(changes, now)
            for change in changes:
                routed.add(1, {"kind": change.kind})
            if delivery is not None and any(routes):
                # A window with no digest delay may close now; waiting for the poll would
                # add up to a whole interval to a person's notification.
                delivery.wake()
        if destination is not None:
            messages = [
                traced(implicit_message(e.event, destination), e.context)
                for e in envelopes
                if isinstance(e.event, RiskChangedV1)
            ]
            recorded = await outbox.record_claimed(messages, now)
            if delivery is not None and recorded:
                delivery.hand(recorded)
        return []  # the outbox worker publishes notify.notification.* once it has sent

    for spec, contract, title in CONSUMERS:
        settler = BatchSettler(spec, handle, publisher, telemetry.tracer, payload=contract)
        subscribe_batches(broker, spec, settler, settings.batch_size, title)


def traced(message: dict[str, Any], context: otel_context.Context) -> dict[str, Any]:
    """The cause's trace context rides in the row, so the send joins the cause's trace."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=context)
    return {**message, "trace": carrier}
