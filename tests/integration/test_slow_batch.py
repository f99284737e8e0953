"""A batch slower than ack_wait is kept by in-progress acks: handled once, never redelivered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.trace import TracerProvider

from services.cli.embedded import start_nats
from shared.broker import create_broker, ensure_streams
from shared.consumer import BatchSettler, Envelope, Outcome, subscribe_batches
from shared.events import ItemChangedV1, ItemStatus
from shared.publishing import JetStreamPublisher
from shared.settings import ServiceSettings
from shared.subjects import ConsumerSpec
from shared.telemetry import Telemetry

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 25, tzinfo=UTC)
SPEC = ConsumerSpec("slow-batch-test", "WORK", ItemChangedV1.subject, ack_wait_seconds=1.5)


@pytest.fixture
async def nats_url(tmp_path: Path) -> AsyncIterator[str]:
    server = start_nats(tmp_path)
    try:
        yield server.url
    finally:
        server.process.stop()


async def test_a_batch_three_times_slower_than_ack_wait_is_handled_once(nats_url: str) -> None:
    telemetry = Telemetry("test", TracerProvider(), NoOpMeterProvider())
    broker = create_broker(ServiceSettings(nats_url=nats_url), telemetry)
    handled: list[str] = []

    async def slow(envelopes: Sequence[Envelope]) -> Outcome:
        handled.extend(e.event.item_id for e in envelopes)  # type: ignore[attr-defined]
        await asyncio.sleep(SPEC.ack_wait_seconds * 3)
        return []

    settler = BatchSettler(SPEC, slow, JetStreamPublisher(broker), telemetry.tracer)
    subscribe_batches(broker, SPEC, settler, batch_size=10, title="test", idle_wait_seconds=0.1)
    client = await broker.connect()
    js = client.jetstream()
    await ensure_streams(js, replicas=1)
    change = ItemChangedV1(
        event_id="e-slow",
        occurred_at=NOW,
        source="github",
        item_id="slow",
        title="T",
        status=ItemStatus.TODO,
        source_updated_at=NOW,
    )
    await JetStreamPublisher(broker).publish(change)
    await broker.start()
    try:
        for _ in range(100):
            info = await js.consumer_info("WORK", SPEC.durable)
            if handled and info.num_ack_pending == 0:
                break
            await asyncio.sleep(0.1)
    finally:
        await broker.stop()
    assert handled == ["slow"]
    assert info.num_redelivered == 0
    assert info.num_ack_pending == 0
