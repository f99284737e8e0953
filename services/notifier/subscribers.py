"""Thin: take typed events, turn each into a change, route the batch, let the settler ack.

One durable consumer per subject (risk changes, release risk, demand surges, closable loops),
each declaring its own contract so anything else on the stream is dead-lettered, not guessed.
Risk changes also go to ``NOTIFIER_WEBHOOK_URL`` as one signed POST each, as before.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from faststream.nats import NatsBroker
from opentelemetry import context as otel_context

from services.notifier.config import NotifierSettings
from services.notifier.handlers import CHANGES_TO_NOTIFY, notify_risk_change
from services.notifier.ports import ChangeRouter, NotificationLog, WebhookSender
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
    log: NotificationLog,
    sender: WebhookSender,
    publisher: EventPublisher,
    telemetry: Telemetry,
    router: ChangeRouter | None = None,
) -> None:
    destination = settings.webhook_url
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""

    delivered = telemetry.meter.create_counter(
        "notifier.notifications", description="Risk changes by delivery outcome"
    )
    routed = telemetry.meter.create_counter(
        "notifier.routed", description="Changes routed into digest windows, by kind"
    )
    if destination is None:
        logger.warning("NOTIFIER_WEBHOOK_URL is not set: risk changes are consumed, not sent")

    async def handle(envelopes: Sequence[Envelope]) -> Outcome:
        changes = [CHANGES_TO_NOTIFY(envelope.event) for envelope in envelopes]
        if router is not None and changes:
            with telemetry.tracer.start_as_current_span("notifier route batch") as span:
                span.set_attribute("notifier.changes", len(changes))
                await router.route_batch(changes, datetime.now(UTC))
            for change in changes:
                routed.add(1, {"kind": change.kind})
        outcome = []
        for envelope in envelopes:
            if not isinstance(envelope.event, RiskChangedV1):
                continue
            if destination is None:
                delivered.add(1, {"outcome": "no_destination"})
                continue
            token = otel_context.attach(envelope.context)
            try:
                with telemetry.tracer.start_as_current_span("notify risk change"):
                    result = await notify_risk_change(
                        envelope.event, destination, secret, log, sender, datetime.now(UTC)
                    )
                    kind = "duplicate" if result is None else type(result).__name__
                    delivered.add(1, {"outcome": kind})
                    if result is not None:
                        outcome.append((result, otel_context.get_current()))
            finally:
                otel_context.detach(token)
        return outcome

    for spec, contract, title in CONSUMERS:
        settler = BatchSettler(spec, handle, publisher, telemetry.tracer, payload=contract)
        subscribe_batches(broker, spec, settler, settings.batch_size, title)
