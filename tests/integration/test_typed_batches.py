"""Typed batch consumers on a real JetStream: poison dead-letters alone, its batch-mates land."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import nats
import pytest
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.trace import TracerProvider

from services.cli.embedded import start_nats
from shared.broker import create_broker, ensure_streams
from shared.consumer import BatchSettler, Envelope, Outcome, subscribe_batches
from shared.events import (
    DependencyAddedV1,
    Event,
    ItemChangedV1,
    ItemStatus,
    ReleaseChangedV1,
    ReleaseState,
)
from shared.publishing import JetStreamPublisher
from shared.settings import ServiceSettings
from shared.subjects import WORK, ConsumerSpec, dead_letter_subject
from shared.telemetry import Telemetry

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 25, tzinfo=UTC)
SPEC = ConsumerSpec("typed-test", WORK.name, "work.>", max_deliver=3, ack_wait_seconds=5)
TAKES = ItemChangedV1 | DependencyAddedV1


@pytest.fixture
async def nats_url(tmp_path: Path) -> AsyncIterator[str]:
    server = start_nats(tmp_path)
    try:
        yield server.url
    finally:
        server.process.stop()


def good_events() -> list[Event]:
    common = {"occurred_at": NOW, "source": "jira", "source_updated_at": NOW}
    return [
        ItemChangedV1(event_id="a", item_id="jira:A", title="A", status=ItemStatus.TODO, **common),
        DependencyAddedV1(event_id="d", blocker_id="jira:B", blocked_id="jira:A", **common),
        ItemChangedV1(event_id="b", item_id="jira:B", title="B", status=ItemStatus.TODO, **common),
    ]


def outside_the_union() -> ReleaseChangedV1:
    return ReleaseChangedV1(
        event_id="r",
        occurred_at=NOW,
        source="jira",
        release_id="jira:R",
        name="R",
        state=ReleaseState.OPEN,
        source_updated_at=NOW,
    )


async def test_poison_is_dead_lettered_with_its_reason_and_its_batch_mates_handled(
    nats_url: str,
) -> None:
    telemetry = Telemetry("test", TracerProvider(), NoOpMeterProvider())
    broker = create_broker(ServiceSettings(nats_url=nats_url), telemetry)
    batches: list[list[Event]] = []

    async def handle(envelopes: Sequence[Envelope]) -> Outcome:
        batches.append([e.event for e in envelopes])
        return []

    publisher = JetStreamPublisher(broker)
    settler = BatchSettler(SPEC, handle, publisher, telemetry.tracer, payload=TAKES)
    subscribe_batches(broker, SPEC, settler, batch_size=10, title="typed", idle_wait_seconds=0.1)
    client = await broker.connect()
    js = client.jetstream()
    await ensure_streams(js, replicas=1)
    first, second, third = good_events()
    await publisher.publish(first)
    await client.publish(ItemChangedV1.subject, b'{"event_id": "x"}', headers={"Nats-Msg-Id": "x"})
    await publisher.publish(second)
    await client.publish(ItemChangedV1.subject, b"{not json", headers={"Nats-Msg-Id": "junk"})
    await publisher.publish(outside_the_union())
    await publisher.publish(third)
    await client.flush()
    await broker.start()
    try:
        dead = await asyncio.wait_for(dead_letters(nats_url, expected=3), 30)
        await asyncio.wait_for(settled(js), 30)
    finally:
        await broker.stop()

    handled = [event for batch in batches for event in batch]
    assert handled == [first, second, third]  # typed, in order, each once: nothing redelivered
    assert all(isinstance(event, ItemChangedV1 | DependencyAddedV1) for event in handled)
    reasons = {body: reason for body, reason in dead}
    assert reasons['{"event_id": "x"}'].startswith("undecodable: ")
    assert "item_id" in reasons['{"event_id": "x"}']  # pydantic names the missing field
    assert reasons["{not json"].startswith("undecodable: ")
    [release_reason] = [r for body, r in dead if '"release_id"' in body]
    assert release_reason == "ReleaseChangedV1 is not a contract this consumer takes"


async def settled(js: nats.js.JetStreamContext) -> None:
    """Every message acked or terminated, none waiting for a redelivery."""
    while True:
        info = await js.consumer_info(WORK.name, SPEC.durable)
        if info.num_ack_pending == 0 and info.num_pending == 0:
            assert info.num_redelivered == 0
            return
        await asyncio.sleep(0.05)


async def dead_letters(url: str, expected: int) -> list[tuple[str, str]]:
    client = await nats.connect(url)
    subscription = await client.jetstream().subscribe(dead_letter_subject(SPEC.durable))
    found: list[tuple[str, str]] = []
    while len(found) < expected:
        message = await subscription.next_msg(timeout=20)
        headers = message.headers or {}
        found.append((message.data.decode(errors="replace"), headers["Slipstream-Reason"]))
    await client.close()
    return found
