"""Risk changes in atomic batches against a real JetStream: each stored once, retries too."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig
from opentelemetry import context as otel_context
from opentelemetry.sdk.trace import TracerProvider

from services.cli.embedded import start_nats
from shared.batch_publishing import (
    FEWEST_FOR_A_BATCH,
    MOST_IN_A_BATCH,
    AtomicBatches,
    BatchRefused,
    publish_in_batches,
)
from shared.broker import ensure_streams
from shared.events import RiskChangedV1, RiskLevel
from shared.subjects import RISK

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 4, tzinfo=UTC)


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[Client]:
    # A server of its own: these tests count what the RISK stream holds.
    server = start_nats(tmp_path)
    connection = await nats.connect(server.url)
    await ensure_streams(connection.jetstream(), replicas=1)
    try:
        yield connection
    finally:
        await connection.close()
        server.process.stop()


def change(n: int) -> RiskChangedV1:
    return RiskChangedV1(
        event_id=f"risk-{n}", occurred_at=NOW, source="slipstream",
        item_id=f"jira:B-{n}", level=RiskLevel.AT_RISK,
    )  # fmt: skip


class OneByOne:
    """The fallback's publisher: JetStream publishes with the event id as msg id."""

    def __init__(self, connection: Client) -> None:
        self.js = connection.jetstream()
        self.published = 0

    async def publish(self, event: RiskChangedV1, context: object = None) -> None:
        await self.js.publish(event.subject, event.model_dump_json().encode(),
                              headers={"Nats-Msg-Id": event.event_id})  # fmt: skip
        self.published += 1

    async def publish_raw(self, subject: str, body: bytes, headers: object) -> None:
        raise AssertionError("not here")


async def stored(connection: Client) -> list[str]:
    return [json.loads(m.data)["event_id"] for m in await messages(connection)]


async def messages(connection: Client) -> list[Msg]:
    js = connection.jetstream()
    info = await js.stream_info(RISK.name)
    # No acks: an ephemeral consumer stops at a thousand unacknowledged messages otherwise.
    config = ConsumerConfig(ack_policy=AckPolicy.NONE)
    subscription = await js.pull_subscribe("risk.>", stream=RISK.name, config=config)
    found: list[Msg] = []
    while len(found) < info.state.messages:
        found += await subscription.fetch(min(500, info.state.messages - len(found)), timeout=5)
    return found


async def test_batches_of_up_to_a_thousand_store_every_change_once_in_order(
    client: Client,
) -> None:
    changes = [(change(n), None) for n in range(2 * MOST_IN_A_BATCH + 500)]
    fallback = OneByOne(client)
    await publish_in_batches(AtomicBatches(lambda: client, TracerProvider().get_tracer("t")),
                             fallback, changes)  # fmt: skip

    assert await stored(client) == [event.event_id for event, _ in changes]
    assert fallback.published == 0, "all went as batches"


async def test_each_batched_change_continues_the_trace_of_what_caused_it(client: Client) -> None:
    tracer = TracerProvider().get_tracer("t")
    with tracer.start_as_current_span("cause") as cause:
        caused_by = otel_context.get_current()
    changes = [(change(n), caused_by) for n in range(FEWEST_FOR_A_BATCH)]
    await AtomicBatches(lambda: client, tracer).commit(changes)

    trace_id = format(cause.get_span_context().trace_id, "032x")
    assert [m.headers["traceparent"].split("-")[1] for m in await messages(client)] == [
        trace_id
    ] * len(changes)


async def test_a_retry_repeating_stored_changes_is_published_one_by_one_and_stored_once(
    client: Client,
) -> None:
    batches = AtomicBatches(lambda: client, TracerProvider().get_tracer("t"))
    await batches.commit([(change(n), None) for n in range(10)])
    again = [(change(n), None) for n in range(15)]  # the first ten repeated, five new
    with pytest.raises(BatchRefused):
        await batches.commit(again)
    fallback = OneByOne(client)
    await publish_in_batches(batches, fallback, again)

    assert await stored(client) == [f"risk-{n}" for n in range(15)]
    assert fallback.published == 15, "the refused batch went one by one; JetStream kept one each"


async def test_a_few_changes_go_one_by_one_which_is_sooner(client: Client) -> None:
    fallback = OneByOne(client)
    few = [(change(n), None) for n in range(FEWEST_FOR_A_BATCH - 1)]
    await publish_in_batches(AtomicBatches(lambda: client, TracerProvider().get_tracer("t")),
                             fallback, few)  # fmt: skip

    assert fallback.published == len(few)
    assert await stored(client) == [event.event_id for event, _ in few]
