"""Against a real JetStream: a dead letter shows in the consumer's metrics, reads back with its
reason, and a redrive sends it through the consumer again."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from faststream.nats import NatsBroker
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.trace import TracerProvider

from services.cli.deadletter_commands import DeadLetter, dead_letters, redrive
from services.cli.embedded import start_nats
from shared.broker import create_broker, ensure_streams
from shared.consumer import BatchSettler, Envelope, Outcome, subscribe_batches
from shared.consumer_stats import ConsumerStats
from shared.events import ItemChangedV1, ItemStatus
from shared.publishing import JetStreamPublisher
from shared.settings import ServiceSettings
from shared.subjects import ConsumerSpec
from shared.telemetry import Telemetry
from tests.support.streams import eventually

pytestmark = pytest.mark.integration

SPEC = ConsumerSpec("deadletter-ops-test", "WORK", ItemChangedV1.subject, ack_wait_seconds=5)
NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
async def broker(tmp_path: Path) -> AsyncIterator[NatsBroker]:
    server = start_nats(tmp_path)
    telemetry = Telemetry("test", TracerProvider(), NoOpMeterProvider())
    broker = create_broker(ServiceSettings(nats_url=server.url), telemetry)
    handled: list[str] = []

    async def handle(envelopes: Sequence[Envelope]) -> Outcome:
        handled.extend(e.event.event_id for e in envelopes)
        return []

    settler = BatchSettler(SPEC, handle, JetStreamPublisher(broker), telemetry.tracer)
    subscribe_batches(broker, SPEC, settler, batch_size=10, title="t", idle_wait_seconds=0.1)
    client = await broker.connect()
    await ensure_streams(client.jetstream(), replicas=1)
    await broker.start()
    try:
        yield broker
    finally:
        await broker.stop()
        server.process.stop()


async def test_a_dead_letter_is_counted_read_with_its_reason_and_redriven(
    broker: NatsBroker,
) -> None:
    js = broker.connection.jetstream()
    good = ItemChangedV1(
        event_id="ok-1",
        occurred_at=NOW,
        source="github",
        item_id="github:a/b#1",
        title="T",
        status=ItemStatus.TODO,
        source_updated_at=NOW,
    )
    await js.publish(good.subject, good.model_dump_json().encode())
    await js.publish(ItemChangedV1.subject, b"{not json")
    stats = ConsumerStats(NoOpMeterProvider().get_meter("t"), [SPEC])

    async def parked() -> list[DeadLetter] | None:
        found = await dead_letters(js, SPEC.durable, limit=10)
        return found or None

    [letter] = await eventually(parked)
    assert letter.original_subject == ItemChangedV1.subject
    assert letter.reason.startswith("undecodable")

    async def settled() -> dict[str, int] | None:
        await stats.refresh(js)
        numbers = {key: by[SPEC.durable] for key, by in stats.latest.items()}
        return numbers if numbers["pending"] == numbers["ack_pending"] == 0 else None

    assert await eventually(settled) == {
        "pending": 0,
        "ack_pending": 0,
        "redelivered": 0,
        "dead_letters": 1,
    }

    # Still junk: the redriven copy goes through the consumer and is parked again.
    assert await redrive(js, [letter.seq]) == [ItemChangedV1.subject]

    async def parked_again() -> list[DeadLetter] | None:
        found = await dead_letters(js, SPEC.durable, limit=10)
        return found if found and found[0].seq != letter.seq else None

    assert len(await eventually(parked_again)) == 1
