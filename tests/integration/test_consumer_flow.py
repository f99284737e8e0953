"""Batches are what has arrived: a lone message flows at once, a backlog comes in batches."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import anyio.to_thread
import pytest
from faststream.nats import NatsBroker
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
SPEC = ConsumerSpec("flow-test", "WORK", ItemChangedV1.subject, ack_wait_seconds=30)
# Far longer than the test may take: a loop that waited for the batch to fill, or for its
# window to end, could only hand the message over after this.
IDLE_WAIT = 600.0


@pytest.fixture
async def broker(tmp_path: Path) -> AsyncIterator[NatsBroker]:
    server = start_nats(tmp_path)
    telemetry = Telemetry("test", TracerProvider(), NoOpMeterProvider())
    broker = create_broker(ServiceSettings(nats_url=server.url), telemetry)
    try:
        client = await broker.connect()
        await ensure_streams(client.jetstream(), replicas=1)
        yield broker
    finally:
        await broker.stop()
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


def subscribe(broker: NatsBroker, batches: asyncio.Queue[list[str]], batch_size: int) -> None:
    async def handle(envelopes: Sequence[Envelope]) -> Outcome:
        await batches.put([e.event.item_id for e in envelopes])  # type: ignore[attr-defined]
        return []

    tracer = TracerProvider().get_tracer("test")
    settler = BatchSettler(SPEC, handle, JetStreamPublisher(broker), tracer)
    subscribe_batches(broker, SPEC, settler, batch_size, "test", idle_wait_seconds=IDLE_WAIT)


async def test_a_lone_message_is_handled_without_filling_the_batch(broker: NatsBroker) -> None:
    batches: asyncio.Queue[list[str]] = asyncio.Queue()
    subscribe(broker, batches, batch_size=100)
    await broker.start()
    # The consumer is idle, its fetch waiting; then one message arrives.
    await JetStreamPublisher(broker).publish(item("lone"))
    assert await asyncio.wait_for(batches.get(), 60) == ["lone"]


async def test_a_batch_reaches_its_handler_without_a_worker_thread(
    broker: NatsBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    # fast_depends sends synchronous parameter resolution to anyio's threads: none of ours.
    hops: list[object] = []
    run_sync = anyio.to_thread.run_sync

    async def counted(function: object, *args: object, **kwargs: object) -> object:
        hops.append(function)
        return await run_sync(function, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    batches: asyncio.Queue[list[str]] = asyncio.Queue()
    subscribe(broker, batches, batch_size=100)
    await broker.start()
    for name in ("one", "two"):
        await JetStreamPublisher(broker).publish(item(name))
        assert await asyncio.wait_for(batches.get(), 60) == [name]
    assert hops == []


async def test_a_backlog_is_handled_in_batches_no_larger_than_the_limit(
    broker: NatsBroker,
) -> None:
    publisher = JetStreamPublisher(broker)
    await asyncio.gather(*(publisher.publish(item(f"i{n}")) for n in range(25)))
    batches: asyncio.Queue[list[str]] = asyncio.Queue()
    subscribe(broker, batches, batch_size=10)
    await broker.start()
    handled: list[list[str]] = []
    while sum(map(len, handled)) < 25:
        handled.append(await asyncio.wait_for(batches.get(), 60))
    assert sorted(i for batch in handled for i in batch) == sorted(f"i{n}" for n in range(25))
    assert max(map(len, handled)) == 10
    assert len(handled) < 25
