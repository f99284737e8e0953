"""Release risk events on real NATS and the Mongo-wire server: one per crossing, either way.

The scheduler's announcing pass publishes through JetStream (the RISK stream); the test reads
the stream back, so a duplicate that got past the event id would be seen.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import nats
import pytest
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy

from services.scheduler.adapters.mongo import MongoAssessmentStore
from services.scheduler.adapters.release_outlooks import MongoReleaseOutlooks
from services.scheduler.announcer import RiskAnnouncer
from services.scheduler.domain import RiskPolicy
from services.scheduler.handlers import project_work
from services.scheduler.live_portfolio import LivePortfolio
from services.scheduler.mirror import AssessmentMirror
from services.scheduler.projections import MongoWorkStore
from services.scheduler.rebuild import rebuild_into
from services.scheduler.reconcile import reconcile
from services.scheduler.release_watch import ReleaseWatch
from shared.broker import create_broker, ensure_streams
from shared.decoding import decode
from shared.events import Event, ReleaseRiskChangedV1
from shared.publishing import JetStreamPublisher
from shared.settings import ServiceSettings
from tests.unit.scheduler_app.support import TODAY, day, edge, item, release, telemetry

pytestmark = pytest.mark.integration
NOW = datetime.combine(TODAY, datetime.min.time(), UTC)


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    connection = await nats.connect(nats_url)
    await ensure_streams(connection.jetstream(), replicas=1)
    yield connection.jetstream()
    await connection.close()


@pytest.fixture
async def announcer(nats_url: str, js: JetStreamContext, db: Any) -> AsyncIterator[RiskAnnouncer]:
    tracing = telemetry()[0]
    broker = create_broker(ServiceSettings(nats_url=nats_url), tracing)
    await broker.connect()
    publisher = JetStreamPublisher(broker)
    watch = ReleaseWatch(MongoReleaseOutlooks(db), publisher, tracing, step_days=7)
    live = LivePortfolio.empty(RiskPolicy())
    mirror = AssessmentMirror(MongoAssessmentStore(db))
    yield RiskAnnouncer(live, mirror, publisher, tracing, releases=watch)
    await broker.stop()


async def feed(announcer: RiskAnnouncer, db: Any, batch: list[Event]) -> None:
    store = MongoWorkStore(db)

    async def recompute() -> None:
        await project_work(batch, store, announcer.live.portfolio, TODAY)

    async with announcer.live.lock:
        await announcer.reassess("events", recompute, lambda c: None, NOW)


async def on_the_stream(js: JetStreamContext, release_id: str) -> list[ReleaseRiskChangedV1]:
    config = ConsumerConfig(deliver_policy=DeliverPolicy.ALL)
    subscription = await js.pull_subscribe(
        ReleaseRiskChangedV1.subject, stream="RISK", config=config
    )
    found: list[ReleaseRiskChangedV1] = []
    try:
        pending = (await subscription.consumer_info()).num_pending
        while pending:
            messages = await subscription.fetch(min(pending, 100), timeout=5)
            pending -= len(messages)
            for message in messages:
                event = decode(message).event
                if isinstance(event, ReleaseRiskChangedV1) and event.release_id == release_id:
                    found.append(event)
                await message.ack()
    finally:
        await subscription.unsubscribe()
    return found


def scenario(u: str) -> tuple[str, list[Event], list[Event], list[Event]]:
    rid, shipped, blocker = f"jira:REL-{u}", f"jira:SHIP-{u}", f"jira:CORE-{u}"
    start = [
        release(rid, due=10),
        item(shipped, 1, target=8, release_id=rid),
        item(blocker, 1, target=5),
        edge(blocker, shipped, 2),
    ]
    return rid, start, [item(blocker, 3, target=15)], [item(blocker, 4, target=6)]


async def test_slip_publishes_one_event_and_recovery_one_back(
    announcer: RiskAnnouncer, db: Any, js: JetStreamContext, unique: str
) -> None:
    rid, start, slip, recover = scenario(unique)
    await MongoWorkStore(db).ensure_indexes()
    await reconcile(MongoWorkStore(db), announcer, RiskPolicy(), NOW)
    await feed(announcer, db, start)
    await feed(announcer, db, slip)
    await feed(announcer, db, slip)  # redelivered
    await reconcile(MongoWorkStore(db), announcer, RiskPolicy(), NOW)  # a restart
    await feed(announcer, db, recover)
    events = await on_the_stream(js, rid)
    assert [(e.slipping, e.forecast, e.previous_forecast) for e in events] == [
        (True, day(15), day(8)),
        (False, day(8), day(15)),
    ]
    assert events[0].threatened_by == (f"jira:SHIP-{unique}",)
    stored = await db["release_outlooks"].find_one({"_id": rid})
    assert (stored["slipping"], stored["event_id"]) == (False, events[-1].event_id)


async def test_rebuild_restores_what_was_announced_of_each_release(
    announcer: RiskAnnouncer, db: Any, js: JetStreamContext, client: Any, unique: str
) -> None:
    rid, start, slip, _ = scenario(unique)
    await MongoWorkStore(db).ensure_indexes()
    await feed(announcer, db, start)
    await feed(announcer, db, slip)
    rebuilt = client[f"rebuilt_{unique}"]
    try:
        await rebuild_into(rebuilt, js, RiskPolicy(), TODAY)
        record = await rebuilt["release_outlooks"].find_one({"_id": rid})
    finally:
        await client.drop_database(f"rebuilt_{unique}")
    live = await db["release_outlooks"].find_one({"_id": rid})
    assert record is not None
    assert (record["slipping"], record["event_id"]) == (True, live["event_id"])
