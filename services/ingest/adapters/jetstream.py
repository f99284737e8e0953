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
from opentelemetry import propagate
from opentelemetry.metrics import Meter
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer, set_span_in_context

from services.ingest.domain import Delivery
from services.ingest.ports import PublishUnavailable
from shared.events import Event
from shared.subjects import RAW_DELIVERIES, RAW_DELIVERY_PREFIX, raw_delivery_subject

# Headers a proxy adds or that carry credentials have no place in the stored delivery.
_NOT_KEPT = frozenset({"authorization", "cookie", "proxy-authorization", "connection", "host"})
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
        # ensure_ascii: vendor header values may hold any byte, NATS headers may not.
        "Slipstream-Headers": json.dumps(kept, separators=(",", ":"), ensure_ascii=True),
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
    """Publishes with nats-py under our own producer span rather than through FastStream.

    This is the one write a vendor waits for, on every request; FastStream's publish pipeline
    costs several times the CPU of the publish itself, and all we need from it is the trace
    context in the headers, which ``propagate.inject`` puts there the same way.
    """

    def __init__(self, broker: NatsBroker, timeout: float, meter: Meter, tracer: Tracer) -> None:
        self.broker = broker
        self.timeout = timeout
        self.tracer = tracer
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
        # Not made current: nothing runs under it but the publish, and attaching a context
        # per request costs more than the span itself (the trace goes on in the headers).
        span = self.tracer.start_span(f"{subject} publish", kind=SpanKind.PRODUCER)
        propagate.inject(headers, context=set_span_in_context(span))  # the normaliser goes on
        started = time.perf_counter()
        try:
            ack = await self._jetstream(connection).publish(
                subject, delivery.body, self.timeout, RAW_DELIVERIES.name, headers
            )
        except PUBLISH_ERRORS as exc:
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR))
            raise PublishUnavailable(f"JetStream did not acknowledge: {exc!r}") from exc
        finally:
            span.end()
        self.ack_latency.record(time.perf_counter() - started, {"source": delivery.source})
        return bool(ack.duplicate)


class DirectEventPublisher:
    """The normaliser's publisher: nats-py under our own producer span, like the raw write.

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
        with self.tracer.start_as_current_span(
            f"{event.subject} publish", context=context, kind=SpanKind.PRODUCER
        ):
            propagate.inject(headers)
            body = event.model_dump_json().encode()
            await self.broker.connection.jetstream().publish(
                event.subject, body, self.timeout, headers=headers
            )

    async def publish_raw(self, subject: str, body: bytes, headers: Mapping[str, str]) -> None:
        await self.broker.connection.jetstream().publish(
            subject, body, self.timeout, headers=dict(headers)
        )
