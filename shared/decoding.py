"""The decoding boundary of a batch consumer: every message judged on its own, before handling.

FastStream validates a batch handler's argument as one value, so a single invalid message
would fail the whole batch and, with manual acks, leave every message in it to be redelivered
until it ran out of attempts. Instead our parser (``sorting_parser``) decodes each message
alone, against the subscriber's union of contracts, into a ``SortedBatch``: the messages that
decoded, each with its envelopes, and those that did not, each with the reason. The handler's
body is then only what decoded, typed as the union (which is what FastStream validates and what
its AsyncAPI document shows), and the settler dead-letters the rejects.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from faststream.nats.message import NatsBatchMessage
from nats.aio.msg import Msg
from opentelemetry import context as otel_context
from opentelemetry import propagate
from pydantic import ValidationError

from shared.dispatch import members
from shared.events import ALL_EVENTS, Event

EVENTS_BY_SUBJECT: dict[str, type[Event]] = {cls.subject: cls for cls in ALL_EVENTS}


@dataclass(frozen=True)
class Envelope:
    """A decoded event with the trace context it travelled with."""

    event: Event
    context: otel_context.Context


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


def contracts_decoder(union: Any) -> Decoder:
    """Decode by subject, and refuse a contract that is not in the consumer's union."""
    accepted = frozenset(members(union))

    def decode_one(message: Msg) -> Sequence[Envelope]:
        envelope = decode(message)
        if type(envelope.event) not in accepted:
            raise Rejected(f"{type(envelope.event).__name__} is not a contract this consumer takes")
        return [envelope]

    return decode_one


class SortedBatch(NatsBatchMessage):
    """A fetched batch, split into what decoded and what must be dead-lettered."""

    decoded: list[tuple[Msg, Sequence[Envelope]]]
    rejected: list[tuple[Msg, str]]


async def sort_batch(decoder: Decoder, messages: Sequence[Msg]) -> SortedBatch:
    decoded: list[tuple[Msg, Sequence[Envelope]]] = []
    rejected: list[tuple[Msg, str]] = []
    for message in messages:
        # Decoding can be real work (ingest re-normalises each raw delivery); yielding
        # between messages keeps a large batch from stalling HTTP requests that share the
        # event loop, which otherwise shows up as a p99 of a whole batch's decode time.
        await asyncio.sleep(0)
        try:
            decoded.append((message, decoder(message)))
        except Rejected as exc:
            rejected.append((message, str(exc)))
        except (ValidationError, ValueError) as exc:
            rejected.append((message, f"undecodable: {exc}"))
    batch = SortedBatch(
        raw_message=list(messages),
        body=[],
        path={},
        headers=dict(messages[0].headers or {}) if messages else {},
        batch_headers=[dict(m.headers or {}) for m in messages],
    )
    batch.decoded, batch.rejected = decoded, rejected
    return batch


def sorting_parser(decoder: Decoder, typed: bool) -> Callable[[list[Msg]], Any]:
    """FastStream's parser hook: the body is the decoded events, or (untyped) their bytes."""

    async def parse(messages: list[Msg]) -> SortedBatch:
        batch = await sort_batch(decoder, messages)
        if typed:
            batch.body = [e.event for _, envelopes in batch.decoded for e in envelopes]
        else:
            batch.body = [message.data for message, _ in batch.decoded]
        return batch

    return parse


async def sorted_body(message: SortedBatch) -> list[Any]:
    """FastStream's decoder hook: the parser already decoded; FastStream validates the types."""
    return list(message.body)
