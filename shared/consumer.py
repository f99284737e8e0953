"""Settling JetStream batches: ack on success, backed-off redelivery, dead letters with reasons.

A batch is first handled whole (one ``bulk_write``); when that fails each message is retried on
its own, so one poison message costs only itself. A message that cannot be decoded, or still
fails after ``max_deliver`` attempts, goes to the dead-letter stream with the reason.

A message decodes into zero or more envelopes: a canonical event is one, while a raw vendor
delivery (ingest's normaliser) is however many events it means, possibly none.
"""

from __future__ import annotations

import asyncio
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
from shared.pulling import pull_what_arrived
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
Decoder = Callable[[Msg], Sequence[Envelope]]


class Rejected(Exception):
    """The message can never be handled, whoever retries it: dead-letter it with this reason."""


def decode(message: Msg) -> Envelope:
    event_type = EVENTS_BY_SUBJECT.get(message.subject)
    if event_type is None:
        raise ValueError(f"no event contract for subject {message.subject!r}")
    event = event_type.model_validate_json(message.data)
    return Envelope(event, propagate.extract(dict(message.headers or {})))


def decode_event(message: Msg) -> Sequence[Envelope]:
    return [decode(message)]


class Subscription(Protocol):
    """A subscriber that can be started and stopped after the broker is running."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class BatchSettler:
    def __init__(
        self,
        spec: ConsumerSpec,
        handle: BatchHandler,
        publisher: EventPublisher,
        tracer: Tracer,
        decoder: Decoder = decode_event,
    ) -> None:
        self.spec = spec
        self.handle = handle
        self.publisher = publisher
        self.tracer = tracer
        self.decoder = decoder

    async def settle(self, messages: Sequence[Msg]) -> None:
        decoded: list[tuple[Msg, Sequence[Envelope]]] = []
        for message in messages:
            # Decoding can be real work (ingest re-normalises each raw delivery); yielding
            # between messages keeps a large batch from stalling HTTP requests that share the
            # event loop, which otherwise shows up as a p99 of a whole batch's decode time.
            await asyncio.sleep(0)
            try:
                decoded.append((message, self.decoder(message)))
            except Rejected as exc:
                await self._dead_letter(message, str(exc))
            except (ValidationError, ValueError) as exc:
                await self._dead_letter(message, f"undecodable: {exc}")
        if not decoded:
            return
        try:
            await self._run([envelope for _, envelopes in decoded for envelope in envelopes])
        except Exception:
            logger.warning("batch failed; retrying messages one by one", exc_info=True)
            for message, envelopes in decoded:
                await self._settle_one(message, envelopes)
            return
        for message, _ in decoded:
            await message.ack()

    async def _run(self, envelopes: Sequence[Envelope]) -> None:
        outcome = await self.handle(envelopes) if envelopes else []
        # Pipelined: with an fsync per JetStream write, waiting for each ack in turn would
        # make a batch cost one disk sync per event. Projections are order-tolerant.
        await asyncio.gather(*(self.publisher.publish(event, ctx) for event, ctx in outcome))

    async def _settle_one(self, message: Msg, envelopes: Sequence[Envelope]) -> None:
        try:
            await self._run(envelopes)
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
        # Our own headers (a raw delivery's source, id and vendor headers) travel along, so the
        # dead letter can be understood without the original; Nats-Msg-Id must not.
        kept = {k: v for k, v in (message.headers or {}).items() if k.startswith("Slipstream-")}
        await self.publisher.publish_raw(
            dead_letter_subject(self.spec.durable),
            message.data,
            {
                **kept,
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
    idle_wait_seconds: float = 5.0,
) -> Subscription:
    """Register a durable pull subscriber that hands ``settler`` batches of what has arrived.

    A batch is what is pending when fetched, up to ``batch_size`` (see ``shared.pulling``);
    ``idle_wait_seconds`` only bounds a fetch that finds nothing, which returns as soon as a
    message arrives. Acks are manual because ``BatchSettler`` decides per message: FastStream's
    default would terminate a message whose handler raised, and we want a backed-off retry.
    """

    async def on_batch(_: list[bytes], message: NatsMessage) -> None:
        raw = message.raw_message
        await settler.settle(raw if isinstance(raw, list) else [raw])

    subscriber = broker.subscriber(
        spec.filter_subject,
        stream=JStream(spec.stream, declare=False),
        durable=spec.durable,
        config=consumer_config(spec),
        pull_sub=PullSub(batch_size=batch_size, timeout=idle_wait_seconds, batch=True),
        ack_policy=AckPolicy.MANUAL,
        title=title,
    )
    pull_what_arrived(subscriber, batch_size, idle_wait_seconds)
    subscriber(on_batch)
    return subscriber
