"""The normaliser: stored raw deliveries in, canonical events out.

A durable consumer of INGEST_RAW re-runs the same pure normaliser the HTTP request ran and
publishes the events with their event ids as msg ids, so a redelivered raw message never doubles
an event. What it cannot interpret goes to the dead-letter stream with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from faststream.nats import NatsBroker
from nats.aio.msg import Msg
from opentelemetry import context as otel_context
from opentelemetry import propagate
from opentelemetry.trace import Span

from services.ingest.adapters.jetstream import delivery_from_message
from services.ingest.adapters.recent import RecentNormalisations
from services.ingest.config import IngestSettings
from services.ingest.domain import Normalised, SourceParser, Uninterpretable
from services.ingest.handlers import interpret_kept
from shared.consumer import (
    BatchSettler,
    Decoder,
    Envelope,
    Outcome,
    Rejected,
    subscribe_batches,
)
from shared.publishing import CountingPublisher, EventPublisher
from shared.subjects import INGEST_NORMALISER
from shared.telemetry import Telemetry


def raw_decoder(
    parsers: Mapping[str, SourceParser],
    settings: IngestSettings,
    telemetry: Telemetry,
    recent: RecentNormalisations | None = None,
) -> Decoder:
    def normalise(message: Msg, span: Span) -> Normalised:
        try:
            delivery = delivery_from_message(message)
        except ValueError as exc:
            raise Rejected(f"undecodable raw delivery: {exc}") from exc
        span.set_attribute("slipstream.source", delivery.source)
        parser = parsers.get(delivery.source)
        if parser is None:
            raise Rejected(f"no normaliser for source {delivery.source!r}")
        try:
            return interpret_kept(delivery, parser, settings.rules)
        except Uninterpretable as exc:
            raise Rejected(f"uninterpretable: {exc.reason}") from exc

    def decode(message: Msg) -> Sequence[Envelope]:
        headers = message.headers or {}
        # The raw message carries the HTTP request's trace context: continue that trace.
        parent = propagate.extract(headers)
        with telemetry.tracer.start_as_current_span("normalise delivery", context=parent) as span:
            # This process accepted it moments ago: the request's normalisation still holds.
            normalised = recent.recall(headers, message.data) if recent is not None else None
            span.set_attribute("slipstream.normalisation_reused", normalised is not None)
            if normalised is None:
                normalised = normalise(message, span)
            else:
                span.set_attribute("slipstream.source", headers.get("Slipstream-Source", ""))
            span.set_attribute("slipstream.events", len(normalised.events))
            context = otel_context.get_current()
        return [Envelope(event, context) for event in normalised.events]

    return decode


def register(
    broker: NatsBroker,
    settings: IngestSettings,
    parsers: Mapping[str, SourceParser],
    publisher: EventPublisher,
    telemetry: Telemetry,
    recent: RecentNormalisations | None = None,
) -> None:
    published = CountingPublisher(
        publisher,
        telemetry.meter,
        "ingest.normaliser.events",
        "Canonical events the normaliser published",
    )

    async def handle(envelopes: Sequence[Envelope]) -> Outcome:
        return [(envelope.event, envelope.context) for envelope in envelopes]

    settler = BatchSettler(
        INGEST_NORMALISER,
        handle,
        published,
        telemetry.tracer,
        decoder=raw_decoder(parsers, settings, telemetry, recent),
    )
    subscribe_batches(
        broker, INGEST_NORMALISER, settler, settings.normaliser_batch_size, "on_raw_delivery"
    )
