"""Thin: take typed risk changes, call the handler, let the settler publish and ack."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from faststream.nats import NatsBroker
from opentelemetry import context as otel_context

from services.notifier.config import NotifierSettings
from services.notifier.domain.routing import change_from_risk
from services.notifier.handlers import CHANGES_TO_NOTIFY, notify_risk_change
from services.notifier.ports import ChangeRouter, NotificationLog, WebhookSender
from shared.consumer import BatchSettler, Envelope, Outcome, subscribe_batches
from shared.events.streams import RiskEvent
from shared.publishing import EventPublisher
from shared.subjects import NOTIFIER_RISK
from shared.telemetry import Telemetry

logger = logging.getLogger(__name__)


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
        "notifier.notifications", description="Risk changes by channel and delivery outcome"
    )
    # This path has one channel, the system webhook; people's channels are the outbox's.
    channel = {"channel": "webhook"}
    if destination is None:
        logger.warning("NOTIFIER_WEBHOOK_URL is not set: risk changes are consumed, not sent")

    async def handle(envelopes: Sequence[Envelope]) -> Outcome:
        outcome = []
        changes = [CHANGES_TO_NOTIFY(envelope.event) for envelope in envelopes]
        if router is not None:
            # Before any webhook: a redelivered batch routes again, and collecting a change
            # twice is a no-op (``collect``), so a failed delivery below loses no route.
            await router.route_all([change_from_risk(c) for c in changes], datetime.now(UTC))
        for envelope, change in zip(envelopes, changes, strict=True):
            if destination is None:
                delivered.add(1, {**channel, "outcome": "no_destination"})
                continue
            token = otel_context.attach(envelope.context)
            try:
                with telemetry.tracer.start_as_current_span("notify risk change"):
                    result = await notify_risk_change(
                        change, destination, secret, log, sender, datetime.now(UTC)
                    )
                    kind = "duplicate" if result is None else type(result).__name__
                    delivered.add(1, {**channel, "outcome": kind})
                    if result is not None:
                        outcome.append((result, otel_context.get_current()))
            finally:
                otel_context.detach(token)
        return outcome

    settler = BatchSettler(NOTIFIER_RISK, handle, publisher, telemetry.tracer, payload=RiskEvent)

    subscribe_batches(broker, NOTIFIER_RISK, settler, settings.batch_size, "on_risk_changed")
