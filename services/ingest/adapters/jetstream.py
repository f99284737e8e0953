"""Accepted deliveries go to JetStream as raw bytes; the normaliser reads them back from there.

The raw delivery's msg id is ``<source>:<delivery id>``, so a vendor retry inside the stream's
duplicate window is acknowledged as a duplicate instead of stored twice. Only this one write
happens while the vendor waits: with ``sync_interval: always`` every JetStream write costs a
disk sync, and the events follow from the stored delivery anyway.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from datetime import datetime

from faststream.exceptions import FastStreamException
from faststream.nats import NatsBroker
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.metrics import Meter
from opentelemetry.trace import Tracer

from services.ingest.domain import Delivery
from services.ingest.ports import PublishUnavailable
from shared.events import Event
from shared.messaging import start_publish_span
from shared.subjects import RAW_DELIVERIES, RAW_DELIVERY_PREFIX, raw_delivery_subject

# Headers a proxy adds or that carry credentials have no place in the stored delivery.
_NOT_KEPT = frozenset({"authorization", "cookie", "proxy-authorization", "connection", "host"})
# Built once: json.dumps with non-default options constructs an encoder on every call.
# ensure_ascii: vendor header values may hold any byte, NATS headers may not.
_encode_headers = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True).encode
# Whatever goes wrong between us and the server, the answer is the same: not stored, retry.
PUBLISH_ERRORS = (TimeoutError, OSError, NatsError, FastStreamException)


def header_safe(value: str) -> str:
    """Delivery ids may come from bodies; a NATS header must be short printable ASCII."""
    if len(value) <= 200 and value.isascii() and value.isprintable():
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def delivery_headers(delivery: Delivery, delivery_id: str) -> dict[str, str]:
    kept = {k: v for k, v in delivery.headers.items() if k not in _NOT_KEPT}
    return {
        "Slipstream-Source": delivery.source,
        "Slipstream-Delivery-Id": header_safe(delivery_id),
        "Slipstream-Received-At": delivery.received_at.isoformat(),
        "Slipstream-Headers": _encode_headers(kept),
    }


def raw_msg_id(delivery: Delivery, delivery_id: str) -> str:
    return f"{delivery.source}:{header_safe(delivery_id)}"


def delivery_from_message(message: Msg) -> Delivery:
    """The delivery as it was received; raises ValueError when the message is not one."""
    headers = message.headers or {}
    source = headers.get("Slipstream-Source") or message.subject.removeprefix(
        RAW_DELIVERY_PREFIX + "."
    )
    try:
        vendor_headers = json.loads(headers["Slipstream-Headers"])
        received_at = datetime.fromisoformat(headers["Slipstream-Received-At"])
    except (KeyError, json.JSONDecodeError) as exc:
        raise ValueError(f"raw delivery without its Slipstream headers: {exc!r}") from exc
    if not isinstance(vendor_headers, dict) or received_at.tzinfo is None:
        raise ValueError("raw delivery headers are malformed")
    return Delivery(
        source, {str(k): str(v) for k, v in vendor_headers.items()}, message.data, received_at
    )


class JetStreamDeliveryLog:
    """Publishes with nats-py, recording the write on the request's own span.

    This is the one write a vendor waits for, on every request; FastStream's publish pipeline
    costs several times the CPU of the publish itself, and all we need from it is the trace
    context in the headers, which ``propagate.inject`` puts there the same way.

    No producer span of its own: a second span per request was a tenth of the hot path's CPU
    and said little the HTTP server span cannot. The server span's context goes into the raw
    message's headers, so the normaliser's span is its child and the trace still runs HTTP →
    normaliser → events → scheduler → notifier; the write itself is an attribute set on the
    server span (stream, sequence, duplicate, ack latency) or the exception recorded on it.
    """

    def __init__(self, broker: NatsBroker, timeout: float, meter: Meter) -> None:
        self.broker = broker
        self.timeout = timeout
        self._js: tuple[Client, JetStreamContext] | None = None
        self.ack_latency = meter.create_histogram(
            "ingest.raw_ack.duration", unit="s", description="Raw delivery publish until its ack"
        )

    def _connection(self) -> Client | None:
        try:
            connection = self.broker.connection
        except FastStreamException:
            return None
        return connection if connection.is_connected else None

    def _jetstream(self, connection: Client) -> JetStreamContext:
        # One context per connection: building it on every request shows in the profile.
        if self._js is None or self._js[0] is not connection:
            self._js = (connection, connection.jetstream())
        return self._js[1]

    async def keep(self, delivery: Delivery, delivery_id: str) -> bool:
        # While reconnecting, nats-py would buffer the publish and we would wait out the whole
        # timeout; answering 503 at once lets the vendor's own retry do the waiting.
        connection = self._connection()
        if connection is None:
            raise PublishUnavailable("not connected to NATS")
        subject = raw_delivery_subject(delivery.source)
        headers = delivery_headers(delivery, delivery_id)
        headers["Nats-Msg-Id"] = raw_msg_id(delivery, delivery_id)
        propagate.inject(headers)  # the current span is the request's: the normaliser goes on
        span = trace.get_current_span()
        started = time.perf_counter()
        try:
            ack = await self._jetstream(connection).publish(
                subject, delivery.body, self.timeout, RAW_DELIVERIES.name, headers
            )
        except PUBLISH_ERRORS as exc:
            span.record_exception(exc)
            raise PublishUnavailable(f"JetStream did not acknowledge: {exc!r}") from exc
        elapsed = time.perf_counter() - started
        self.ack_latency.record(elapsed, {"source": delivery.source})
        if span.is_recording():
            span.set_attributes(
                {
                    "messaging.destination.name": subject,
                    "slipstream.raw.stream": ack.stream,
                    "slipstream.raw.seq": ack.seq,
                    "slipstream.raw.duplicate": bool(ack.duplicate),
                    "slipstream.raw.ack_ms": round(elapsed * 1000, 3),
                }
            )
        return bool(ack.duplicate)


class DirectEventPublisher:
    """The normaliser's publisher: nats-py under a producer span per event.

    It shares the request path's event loop, so FastStream's per-publish pipeline would come
    out of the vendors' latency. Msg id is the event id, so a redelivered raw delivery never
    doubles an event.
    """

    def __init__(self, broker: NatsBroker, timeout: float, tracer: Tracer) -> None:
        self.broker = broker
        self.timeout = timeout
        self.tracer = tracer

    async def publish(self, event: Event, context: otel_context.Context | None = None) -> None:
        headers = {"Nats-Msg-Id": event.event_id}
        span = start_publish_span(self.tracer, event.subject, event.event_id, context)
        with trace.use_span(span, end_on_exit=True):
            propagate.inject(headers)
            body = event.model_dump_json().encode()
            await self.broker.connection.jetstream().publish(
                event.subject, body, self.timeout, headers=headers
            )

    async def publish_raw(self, subject: str, body: bytes, headers: Mapping[str, str]) -> None:
        await self.broker.connection.jetstream().publish(
            subject, body, self.timeout, headers=dict(headers)
        )
