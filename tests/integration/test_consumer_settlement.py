"""Batch settlement against a real JetStream: acks, backed-off retries and dead letters."""

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
from shared.events import ItemChangedV1, ItemStatus
from shared.publishing import JetStreamPublisher
from shared.settings import ServiceSettings
from shared.subjects import ConsumerSpec, dead_letter_subject
from shared.telemetry import Telemetry

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 25, tzinfo=UTC)
SPEC = ConsumerSpec(
    "settlement-test",
    "WORK",
    ItemChangedV1.subject,
    max_deliver=3,
    backoff_seconds=(0.05,),
    ack_wait_seconds=5,
)


@pytest.fixture
async def nats_server(tmp_path: Path) -> AsyncIterator[str]:
    # A server of its own: this test owns the WORK stream's contents.
    server = start_nats(tmp_path)
    try:
        yield server.url
    finally:
        server.process.stop()


def item(item_id: str) -> ItemChangedV1:
    return ItemChangedV1(
        event_id=f"e-{item_id}",
        occurred_at=NOW,
        source="github",
        item_id=item_id,
        title="T",
        status=ItemStatus.TODO,
        source_updated_at=NOW,
    )


async def run_consumer(url: str, handled: list[str], poison: str) -> list[tuple[str, str]]:
    telemetry = Telemetry("test", TracerProvider(), NoOpMeterProvider())
    broker = create_broker(ServiceSettings(nats_url=url), telemetry)

    async def handle(envelopes: Sequence[Envelope]) -> Outcome:
        for envelope in envelopes:
            assert isinstance(envelope.event, ItemChangedV1)
            if envelope.event.item_id == poison:
                raise RuntimeError("poison")
        handled.extend(e.event.item_id for e in envelopes)  # type: ignore[attr-defined]
        return []

    settler = BatchSettler(SPEC, handle, JetStreamPublisher(broker), telemetry.tracer)
    subscribe_batches(broker, SPEC, settler, batch_size=10, title="test", idle_wait_seconds=0.1)
    client = await broker.connect()
    await ensure_streams(client.jetstream(), replicas=1)
    publisher = JetStreamPublisher(broker)
    for item_id in ("a", poison, "b"):
        await publisher.publish(item(item_id))
    await client.publish(ItemChangedV1.subject, b"{not json", headers={"Nats-Msg-Id": "junk"})
    await client.flush()
    await broker.start()
    dead = await collect_dead_letters(url, expected=2)
    await broker.stop()
    return dead


async def collect_dead_letters(url: str, expected: int) -> list[tuple[str, str]]:
    client = await nats.connect(url)
    subscription = await client.jetstream().subscribe(dead_letter_subject(SPEC.durable))
    found: list[tuple[str, str]] = []
    while len(found) < expected:
        message = await subscription.next_msg(timeout=20)
        found.append((message.data.decode(errors="replace"), message.headers["Slipstream-Reason"]))
    await client.close()
    return found


async def test_good_messages_are_handled_and_bad_ones_dead_lettered_with_reasons(
    nats_server: str,
) -> None:
    handled: list[str] = []
    dead = await asyncio.wait_for(run_consumer(nats_server, handled, poison="p"), 60)
    assert sorted(set(handled)) == ["a", "b"]
    reasons = sorted(reason.split(":")[0] for _, reason in dead)
    assert reasons == ["failed 3 times", "undecodable"]
    assert any('"item_id":"p"' in body for body, _ in dead)
