"""Messaging spans as OpenTelemetry's semantic conventions name them, for every hop on the bus.

A publish is a PRODUCER span (``messaging.operation.type=send``) whose context travels in the
message's headers; each message a durable consumer settles gets a CONSUMER span
(``process``) that continues that context, so one webhook is one trace from the HTTP request
to the notification. FastStream's own middleware already traces its publishes and batch
consumes (a batch's span links each message); ``SemconvTelemetryMiddleware`` adds the
attributes it predates (``messaging.operation.type``) to those spans.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from typing import Any

from faststream.nats.opentelemetry.provider import telemetry_attributes_provider_factory
from faststream.opentelemetry.middleware import TelemetryMiddleware
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.metrics import MeterProvider
from opentelemetry.trace import Span, SpanKind, Tracer

SYSTEM = "nats"


def messaging_attributes(
    destination: str, operation: str, name: str, consumer: str | None = None
) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "messaging.system": SYSTEM,
        "messaging.destination.name": destination,
        "messaging.operation.type": operation,
        "messaging.operation.name": name,
    }
    if consumer is not None:
        attributes["messaging.consumer.group.name"] = consumer
    return attributes


def start_publish_span(
    tracer: Tracer, subject: str, message_id: str, context: otel_context.Context | None = None
) -> Span:
    """A PRODUCER span for one publish; inject its context into the message's headers."""
    attributes = messaging_attributes(subject, "send", "publish")
    attributes["messaging.message.id"] = message_id
    return tracer.start_span(
        f"publish {subject}", context=context, kind=SpanKind.PRODUCER, attributes=attributes
    )


def start_process_spans(tracer: Tracer, consumer: str, messages: Sequence[Msg]) -> list[Span]:
    """One CONSUMER span per message, each a child of the context its publisher sent."""
    spans = []
    for message in messages:
        attributes = messaging_attributes(message.subject, "process", "process", consumer)
        # A test broker's message is no JetStream delivery: nothing to count then.
        with suppress(NatsError, AttributeError, ValueError):
            attributes["messaging.message.delivery_count"] = message.metadata.num_delivered
        spans.append(
            tracer.start_span(
                f"process {message.subject}",
                context=propagate.extract(dict(message.headers or {})),
                kind=SpanKind.CONSUMER,
                attributes=attributes,
            )
        )
    return spans


def in_span(span: Span) -> otel_context.Context:
    return trace.set_span_in_context(span)


class _SemconvProvider:
    """FastStream's NATS attribute provider, plus the operation type it does not set."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.messaging_system = inner.messaging_system

    def get_publish_attrs_from_cmd(self, cmd: Any) -> dict[str, Any]:
        found: dict[str, Any] = self.inner.get_publish_attrs_from_cmd(cmd)
        return {**found, "messaging.operation.type": "send", "messaging.operation.name": "publish"}

    def get_publish_destination_name(self, cmd: Any) -> str:
        return str(self.inner.get_publish_destination_name(cmd))

    def get_consume_attrs_from_message(self, msg: Any) -> dict[str, Any]:
        found: dict[str, Any] = self.inner.get_consume_attrs_from_message(msg)
        operation = {"messaging.operation.type": "process", "messaging.operation.name": "process"}
        return {**found, **operation}

    def get_consume_destination_name(self, msg: Any) -> str:
        return str(self.inner.get_consume_destination_name(msg))


def _provider_factory(msg: Any) -> Any:
    inner = telemetry_attributes_provider_factory(msg)
    return None if inner is None else _SemconvProvider(inner)


class SemconvTelemetryMiddleware(TelemetryMiddleware[Any]):
    def __init__(self, tracer_provider: trace.TracerProvider, meter_provider: MeterProvider):
        super().__init__(
            settings_provider_factory=_provider_factory,
            tracer_provider=tracer_provider,
            meter_provider=meter_provider,
        )
