"""Settling JetStream batches: ack on success, backed-off redelivery, dead letters with reasons.

A batch is first handled whole (one ``bulk_write``); when that fails each message is retried on
its own, so one poison message costs only itself. A message that cannot be decoded, or still
fails after ``max_deliver`` attempts, goes to the dead-letter stream with the reason.

A message decodes into zero or more envelopes: a canonical event is one, while a raw vendor
delivery (ingest's normaliser) is however many events it means, possibly none. How each
message is decoded and judged, before any handler runs, is ``shared.decoding``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, Protocol

from fast_depends.library import CustomField
from faststream import AckPolicy
from faststream.nats import JStream, NatsBroker, PullSub
from faststream.nats.message import NatsMessage
from nats.aio.msg import Msg
from opentelemetry import context as otel_context
from opentelemetry.trace import Tracer

from shared.broker import consumer_config
from shared.decoding import (
    Decoder,
    Envelope,
    Rejected,
    SortedBatch,
    contracts_decoder,
    decode,
    decode_event,
    sort_batch,
    sorted_body,
    sorting_parser,
)
from shared.events import Event
from shared.in_progress import kept_in_progress
from shared.messaging import in_span, start_process_spans
from shared.publishing import EventPublisher
from shared.pulling import pull_what_arrived
from shared.subjects import ConsumerSpec, dead_letter_subject

logger = logging.getLogger(__name__)

Outcome = Sequence[tuple[Event, otel_context.Context]]
BatchHandler = Callable[[Sequence[Envelope]], Awaitable[Outcome]]


class Subscription(Protocol):
    """A subscriber that can be started and stopped after the broker is running."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class BatchSettler:
    """Settles one consumer's batches.

    ``payload`` is the union of contracts the consumer takes: a message of any other contract
    is dead-lettered, and the subscriber declares its body as a list of it. Without one, a
    ``decoder`` says what a message means (ingest's raw deliveries).
    """

    def __init__(
        self,
        spec: ConsumerSpec,
        handle: BatchHandler,
        publisher: EventPublisher,
        tracer: Tracer,
        decoder: Decoder = decode_event,
        payload: Any = None,
    ) -> None:
        self.spec = spec
        self.handle = handle
        self.publisher = publisher
        self.tracer = tracer
        self.payload = payload
        self.decoder = decoder if payload is None else contracts_decoder(payload)

    async def settle(self, messages: Sequence[Msg]) -> None:
        await self.settle_sorted(await sort_batch(self.decoder, messages))

    async def settle_sorted(self, batch: SortedBatch) -> None:
        for message, reason in batch.rejected:
            await self._dead_letter(message, reason)
        if not batch.decoded:
            return
        spans = start_process_spans(self.tracer, self.spec.durable, [m for m, _ in batch.decoded])
        # What each message leads to (projections, events it causes) continues its own trace
        # under its process span, whichever batch it shared.
        decoded = [
            (message, [Envelope(e.event, in_span(span)) for e in envelopes])
            for (message, envelopes), span in zip(batch.decoded, spans, strict=True)
        ]
        try:
            async with kept_in_progress([m for m, _ in decoded], self.spec.ack_wait_seconds):
                await self._settle_decoded(decoded)
        finally:
            for span in spans:
                span.end()

    async def _settle_decoded(self, decoded: Sequence[tuple[Msg, Sequence[Envelope]]]) -> None:
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


class MessageOnTheLoop(CustomField):
    """The message being handled, as FastStream's ``Context("message")`` gives it, but read
    on the event loop.

    fast_depends runs a custom field's synchronous ``use`` in a worker thread, so taking the
    message as ``faststream.nats.annotations.NatsMessage`` cost a thread round trip for every
    batch at every hop (a few per cent of ingest's CPU at 200 webhooks/s). A coroutine
    ``use`` is awaited in place, and reading the context needs no thread.
    """

    def __init__(self) -> None:
        super().__init__(cast=False, required=True)

    # fast_depends awaits a coroutine ``use``; only a plain function goes to a thread.
    async def use(self, /, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        assert self.param_name, "set by fast_depends from the parameter it annotates"
        # FastStream hands every handler call its context repository under this name.
        kwargs[self.param_name] = kwargs["context__"].get_local("message")
        return kwargs


CurrentMessage = Annotated[NatsMessage, MessageOnTheLoop()]


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
    message arrives. The handler's body is declared as a list of the settler's ``payload``, so
    FastStream validates against it and the AsyncAPI document names each contract; without one
    (ingest's raw deliveries) the body is the bytes of the messages that decoded.

    Acks are manual because ``BatchSettler`` decides per message: FastStream's default would
    terminate a message whose handler raised, and we want a backed-off retry instead.
    """

    async def on_batch(body: list[Any], message: CurrentMessage) -> None:
        assert isinstance(message, SortedBatch), "subscribe_batches installs sorting_parser"
        await settler.settle_sorted(message)

    # The body's type is only known here; FastStream reads it from the annotations.
    payload = settler.payload
    on_batch.__annotations__["body"] = list[bytes] if payload is None else list[payload]  # type: ignore[valid-type]
    subscriber = broker.subscriber(
        spec.filter_subject,
        stream=JStream(spec.stream, declare=False),
        durable=spec.durable,
        config=consumer_config(spec),
        pull_sub=PullSub(batch_size=batch_size, timeout=idle_wait_seconds, batch=True),
        ack_policy=AckPolicy.MANUAL,
        parser=sorting_parser(settler.decoder, typed=payload is not None),
        decoder=sorted_body,
        title=title,
    )
    pull_what_arrived(subscriber, batch_size, idle_wait_seconds)
    subscriber(on_batch)
    return subscriber


__all__ = [
    "BatchHandler",
    "BatchSettler",
    "Decoder",
    "Envelope",
    "Outcome",
    "Rejected",
    "Subscription",
    "decode",
    "decode_event",
    "subscribe_batches",
]
