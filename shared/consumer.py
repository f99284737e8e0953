"""Settling JetStream batches: ack on success, backed-off redelivery, dead letters with reasons.

A batch is first handled whole (one ``bulk_write``); when that fails each message is retried on
its own, so one poison message costs only itself. A message that cannot be decoded, or still
fails after ``max_deliver`` attempts, goes to the dead-letter stream with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from faststream import AckPolicy
from faststream.nats import JStream, NatsBroker, PullSub
from faststream.nats.annotations import NatsMessage
from nats.aio.msg import Msg
from opentelemetry import context as otel_context
from opentelemetry import propagate
from opentelemetry.trace import Tracer
from pydantic import ValidationError

from shared.broker import consumer_config
from shared.events import ALL_EVENTS, Event
from shared.publishing import EventPublisher
from shared.subjects import ConsumerSpec, dead_letter_subject

logger = logging.getLogger(__name__)

EVENTS_BY_SUBJECT: dict[str, type[Event]] = {cls.subject: cls for cls in ALL_EVENTS}


@dataclass(frozen=True)
class Envelope:
    """A decoded event with the trace context it travelled with."""

    event: Event
    context: otel_context.Context


Outcome = Sequence[tuple[Event, otel_context.Context]]
BatchHandler = Callable[[Sequence[Envelope]], Awaitable[Outcome]]


def decode(message: Msg) -> Envelope:
    event_type = EVENTS_BY_SUBJECT.get(message.subject)
    if event_type is None:
        raise ValueError(f"no event contract for subject {message.subject!r}")
    event = event_type.model_validate_json(message.data)
    return Envelope(event, propagate.extract(dict(message.headers or {})))


class Subscription(Protocol):
    """A subscriber that can be started and stopped after the broker is running."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class BatchSettler:
    def __init__(
        self, spec: ConsumerSpec, handle: BatchHandler, publisher: EventPublisher, tracer: Tracer
    ) -> None:
        self.spec = spec
        self.handle = handle
        self.publisher = publisher
        self.tracer = tracer

    async def settle(self, messages: Sequence[Msg]) -> None:
        decoded: list[tuple[Msg, Envelope]] = []
        for message in messages:
            try:
                decoded.append((message, decode(message)))
            except (ValidationError, ValueError) as exc:
                await self._dead_letter(message, f"undecodable: {exc}")
        if not decoded:
            return
        try:
            await self._run([envelope for _, envelope in decoded])
        except Exception:
            logger.warning("batch failed; retrying messages one by one", exc_info=True)
            for message, envelope in decoded:
                await self._settle_one(message, envelope)
            return
        for message, _ in decoded:
            await message.ack()

    async def _run(self, envelopes: Sequence[Envelope]) -> None:
        for event, context in await self.handle(envelopes):
            await self.publisher.publish(event, context)

    async def _settle_one(self, message: Msg, envelope: Envelope) -> None:
        try:
            await self._run([envelope])
        except Exception as exc:
            attempts = message.metadata.num_delivered
            if attempts >= self.spec.max_deliver:
                await self._dead_letter(message, f"failed {attempts} times: {exc!r}")
                return
            delay = self.spec.backoff_seconds[min(attempts, len(self.spec.backoff_seconds)) - 1]
            logger.warning(
                "handler failed; will redeliver",
                extra={"fields": {"subject": message.subject, "attempt": attempts, "delay": delay}},
            )
            await message.nak(delay=delay)
        else:
            await message.ack()

    async def _dead_letter(self, message: Msg, reason: str) -> None:
        logger.error(
            "dead-lettered",
            extra={
                "fields": {
                    "subject": message.subject,
                    "consumer": self.spec.durable,
                    "reason": reason,
                }
            },
        )
        await self.publisher.publish_raw(
            dead_letter_subject(self.spec.durable),
            message.data,
            {
                "Slipstream-Reason": reason[:1000],
                "Slipstream-Original-Subject": message.subject,
                "Slipstream-Consumer": self.spec.durable,
            },
        )
        # Terminate: the dead letter now owns it, and redelivering would only fail again.
        await message.term()


def subscribe_batches(
    broker: NatsBroker,
    spec: ConsumerSpec,
    settler: BatchSettler,
    batch_size: int,
    title: str,
    max_wait_seconds: float = 0.5,
) -> Subscription:
    """Register a durable pull subscriber that hands whole batches to ``settler``.

    Acks are manual because ``BatchSettler`` decides per message: FastStream's default would
    terminate a message whose handler raised, and we want a backed-off retry instead.
    """

    async def on_batch(_: list[bytes], message: NatsMessage) -> None:
        raw = message.raw_message
        await settler.settle(raw if isinstance(raw, list) else [raw])

    subscriber = broker.subscriber(
        spec.filter_subject,
        stream=JStream(spec.stream, declare=False),
        durable=spec.durable,
        config=consumer_config(spec),
        pull_sub=PullSub(batch_size=batch_size, timeout=max_wait_seconds, batch=True),
        ack_policy=AckPolicy.MANUAL,
        title=title,
    )
    subscriber(on_batch)
    return subscriber
