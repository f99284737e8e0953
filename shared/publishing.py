"""Publishing canonical events to JetStream, waiting for the ack, with the event id as msg id."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from faststream.nats import NatsBroker
from opentelemetry import context as otel_context
from opentelemetry.metrics import Meter

from shared.events import Event
from shared.subjects import STREAMS
from shared.telemetry import HotCounter


class EventPublisher(Protocol):
    async def publish(self, event: Event, context: otel_context.Context | None = None) -> None: ...

    async def publish_raw(self, subject: str, body: bytes, headers: Mapping[str, str]) -> None: ...


class JetStreamPublisher:
    """Publishes through the FastStream broker so its telemetry middleware traces each publish.

    ``Nats-Msg-Id`` is the event id: JetStream drops a second publish of the same event inside
    the stream's duplicate window, which makes producer retries safe.
    """

    def __init__(self, broker: NatsBroker, timeout: float = 5.0) -> None:
        self.broker = broker
        self.timeout = timeout

    async def publish(self, event: Event, context: otel_context.Context | None = None) -> None:
        token = otel_context.attach(context) if context is not None else None
        try:
            # The telemetry middleware adds the trace context to these headers.
            headers = {"Nats-Msg-Id": event.event_id}
            await self.broker.publish(
                event.model_dump_json().encode(),
                subject=event.subject,
                headers=headers,
                stream=_stream_of(event.subject),
                timeout=self.timeout,
            )
        finally:
            if token is not None:
                otel_context.detach(token)

    async def publish_raw(self, subject: str, body: bytes, headers: Mapping[str, str]) -> None:
        await self.broker.publish(
            body,
            subject=subject,
            headers=dict(headers),
            stream=_stream_of(subject),
            timeout=self.timeout,
        )


class CountingPublisher:
    """Counts events only once JetStream acknowledged them, so retries do not inflate it."""

    def __init__(self, inner: EventPublisher, meter: Meter, name: str, description: str) -> None:
        self.inner = inner
        # A hot path: the normaliser counts every event it publishes.
        self.counter = HotCounter(meter, name, ("source", "subject"), description)

    async def publish(self, event: Event, context: otel_context.Context | None = None) -> None:
        await self.inner.publish(event, context)
        self.counter.add((event.source.value, event.subject))

    async def publish_raw(self, subject: str, body: bytes, headers: Mapping[str, str]) -> None:
        await self.inner.publish_raw(subject, body, headers)


def _stream_of(subject: str) -> str:
    for spec in STREAMS:
        if any(subject.startswith(pattern.removesuffix(">")) for pattern in spec.subjects):
            return spec.name
    raise ValueError(f"no stream captures subject {subject!r}")
