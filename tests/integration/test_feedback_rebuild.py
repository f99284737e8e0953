"""`slipstream rebuild feedback`: replaying the streams ends identical to the live projections,
and people's decisions (manual links, organisation edits) survive the swap."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import nats
import pytest
from nats.js import JetStreamContext
from pymongo import AsyncMongoClient

from services.feedback import rebuild
from services.feedback.adapters.mongo import MongoFeedbackStore
from services.feedback.adapters.work import MongoWorkProjection
from services.feedback.closing import close_loops
from services.feedback.domain.organisations import Organisation
from services.feedback.domain.weighing import DemandRules
from services.feedback.handlers import Weighing, project_feedback
from services.feedback.links import decide_link
from shared.broker import ensure_streams
from shared.events import Event, FeedbackReceivedV1, ItemChangedV1

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    connection = await nats.connect(nats_url)
    await ensure_streams(connection.jetstream(), replicas=1)
    yield connection.jetstream()
    await connection.close()


@pytest.fixture
async def client(mongodb_url: str) -> AsyncIterator[AsyncMongoClient[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_url, tz_aware=True)
    yield client
    await client.close()


class Recorder:
    """Publishes to JetStream what the live service would, and keeps it."""

    def __init__(self, js: JetStreamContext) -> None:
        self.js = js

    async def publish(self, event: Event, context: Any = None) -> None:
        body = event.model_dump_json().encode()
        await self.js.publish(event.subject, body, headers={"Nats-Msg-Id": event.event_id})

    async def publish_raw(self, subject: str, body: bytes, headers: Any) -> None:
        raise AssertionError("not used")


def said(u: str, n: int, item: str, minute: int, **extra: Any) -> FeedbackReceivedV1:
    return FeedbackReceivedV1(
        event_id=f"f-{u}-{n}-{minute}", occurred_at=NOW, source="zendesk", kind="ticket",
        feedback_id=f"zendesk:ticket/{u}-{n}", customer_id=f"email:c{n}@org{n % 2}-{u}.test",
        item_ids=(item,), source_updated_at=NOW + timedelta(minutes=minute), **extra,
    )  # fmt: skip


def work_item(item: str, status: str, minute: int) -> ItemChangedV1:
    return ItemChangedV1(
        event_id=f"i-{item}-{minute}", occurred_at=NOW, source="jira", item_id=item,
        title="Export", status=status, team="pay",
        source_updated_at=NOW + timedelta(minutes=minute),
    )  # fmt: skip


async def snapshot(db: Any, u: str, names: tuple[str, ...]) -> dict[str, list[dict[str, Any]]]:
    mine = {"_id": {"$regex": u}}
    return {name: [d async for d in db[name].find(mine).sort("_id", 1)] for name in names}


async def test_rebuilt_feedback_equals_live_and_keeps_peoples_decisions(
    js: JetStreamContext, client: AsyncMongoClient[dict[str, Any]], unique: str
) -> None:
    u = unique
    pay, ops = f"jira:PAY-{u}", f"jira:OPS-{u}"
    live_db, scratch = client[f"feedback_{u}"], f"feedback_{u}_rebuild"
    store, work, recorder = MongoFeedbackStore(live_db), MongoWorkProjection(live_db), Recorder(js)
    await store.ensure_indexes()
    await work.ensure_indexes()
    acme = Organisation(f"org:acme-{u}", "Acme", (f"org0-{u}.test",), "gold", 90_000.0, "kim")
    await store.save_organisation(acme)
    weighing = Weighing(store, DemandRules())
    batches = [
        [said(u, n, pay, minute=n) for n in range(4)],
        [said(u, 1, ops, minute=9), said(u, 2, pay, minute=1)],  # a move, and a late version
        [said(u, 3, pay, minute=10, retracted=True)],
        [said(u, n, pay, minute=n - 60) for n in range(4, 10)],  # a burst: a surge
    ]
    try:
        for batch in batches:
            for event in batch:
                await recorder.publish(event)
            for change in await project_feedback(batch, store, NOW, weighing):
                await recorder.publish(change)
        await decide_link(weighing, recorder, (f"zendesk:ticket/{u}-0", pay, False), NOW)
        for event in [work_item(pay, "in_progress", 1), work_item(pay, "done", 2)]:
            await recorder.publish(event)
            closable = await close_loops([event], work, weighing, NOW)
            for loop in closable:
                await recorder.publish(loop)
            await work.record(closable)

        report = await rebuild.rebuild_into(client[scratch], live_db, js, DemandRules(), {})
        expected = await snapshot(live_db, u, rebuild.COLLECTIONS)
        actual = await snapshot(client[scratch], u, rebuild.COLLECTIONS)
        assert actual == expected
        assert report.events >= 15
        assert len(expected["feedback_closures"]) == 1
        assert len(expected["feedback_surges"]) == 1
        assert [d["_id"] for d in expected["feedback_demand"]] == [ops, pay]
        assert [d["_id"] for d in expected["feedback_tallies"]] == [ops, pay]

        await rebuild.swap(client, scratch, live_db.name)
        assert await snapshot(live_db, u, rebuild.COLLECTIONS) == expected
        assert await store.links_of(pay) == {f"zendesk:ticket/{u}-0": False}
        assert (await store.organisations())[acme.organisation_id] == acme
    finally:
        await client.drop_database(scratch)
        await client.drop_database(live_db.name)
