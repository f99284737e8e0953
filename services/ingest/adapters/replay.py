"""Replay: re-normalise stored raw deliveries with the current code and republish the events.

Reads INGEST_RAW from a point in time with an ephemeral ordered consumer, so a fixed
normaliser can repair history. The events keep their event ids (projections are idempotent on
them) but get fresh msg ids, or JetStream's duplicate window would swallow them as repeats.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy

from services.ingest.adapters.jetstream import delivery_from_message
from services.ingest.domain import SourceParser, SourceRules, Uninterpretable
from services.ingest.handlers import interpret_kept
from shared.events import Event
from shared.subjects import RAW_DELIVERIES, RAW_DELIVERY_PREFIX, raw_delivery_subject

PIPELINE = 256  # publishes in flight at once: each ack waits for a disk sync


@dataclass
class ReplayCounts:
    deliveries: int = 0
    events: int = 0
    ignored: int = 0
    uninterpretable: int = 0


def renormalise(
    message: Msg, parsers: Mapping[str, SourceParser], rules: SourceRules, counts: ReplayCounts
) -> tuple[Event, ...]:
    counts.deliveries += 1
    try:
        delivery = delivery_from_message(message)
        parser = parsers.get(delivery.source)
        if parser is None:
            raise Uninterpretable(f"no normaliser for source {delivery.source!r}")
        events = interpret_kept(delivery, parser, rules).events
    except (ValueError, Uninterpretable):
        counts.uninterpretable += 1
        return ()
    if not events:
        counts.ignored += 1
    counts.events += len(events)
    return events


async def republish(js: JetStreamContext, event: Event, run_id: str) -> None:
    headers = {"Nats-Msg-Id": f"{event.event_id}:replay:{run_id}", "Slipstream-Replay": run_id}
    await js.publish(event.subject, event.model_dump_json().encode(), headers=headers)


async def replay(
    js: JetStreamContext,
    since: datetime,
    source: str | None,
    parsers: Mapping[str, SourceParser],
    rules: SourceRules,
    run_id: str,
    idle_seconds: float = 2.0,
) -> ReplayCounts:
    subject = raw_delivery_subject(source) if source else f"{RAW_DELIVERY_PREFIX}.>"
    config = ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_TIME, opt_start_time=since)
    subscription = await js.subscribe(
        subject, stream=RAW_DELIVERIES.name, ordered_consumer=True, config=config
    )
    counts = ReplayCounts()
    in_flight: list[Awaitable[Any]] = []
    try:
        while True:
            try:
                message = await subscription.next_msg(timeout=idle_seconds)
            except TimeoutError:
                break  # nothing (more) stored after `since`
            for event in renormalise(message, parsers, rules, counts):
                in_flight.append(republish(js, event, run_id))
            if len(in_flight) >= PIPELINE:
                await asyncio.gather(*in_flight)
                in_flight.clear()
            if message.metadata.num_pending == 0:
                break  # caught up with what was stored when the replay started
        await asyncio.gather(*in_flight)
    finally:
        await subscription.unsubscribe()
    return counts
