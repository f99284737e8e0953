"""`slipstream rebuild scheduler`: replaying the streams ends identical to the live projections."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import nats
import pytest
from nats.js import JetStreamContext

from services.scheduler.documents import from_bson_date
from services.scheduler.domain import RiskPolicy
from services.scheduler.mirror import AssessmentMirror
from services.scheduler.rebuild import COLLECTIONS, differences, rebuild_into, swap
from shared.broker import ensure_streams
from shared.events import DemandChangedV1, Event
from tests.integration.scheduler.conftest import Scheduler
from tests.unit.scheduler_app.support import (
    TODAY,
    at,
    day,
    edge,
    item,
    release,
    removed,
    schedule,
)

pytestmark = pytest.mark.integration


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    connection = await nats.connect(nats_url)
    await ensure_streams(connection.jetstream(), replicas=1)
    yield connection.jetstream()
    await connection.close()


def history(u: str) -> list[list[Event]]:
    """Batches as the live consumer saw them: duplicates, late and out-of-order events."""
    web, api, gone, late = f"jira:WEB-{u}", f"jira:API-{u}", f"jira:OLD-{u}", f"linear:L-{u}"
    rel, ship = f"jira:REL-{u}", f"jira:SHIP-{u}"
    demand = DemandChangedV1(
        event_id=f"demand-{u}", occurred_at=at(9), source="slipstream",
        item_id=api, customers=3, weight=12.5,
    )  # fmt: skip
    first = [
        release(rel, 14),
        item(web, 1, target=10, team="web", release_id=rel),
        edge(api, web, 2),
    ]
    return [
        first,
        [
            schedule(f"jira-id:N{u}", 4, target=25),  # before the item naming the node
            item(api, 3, target=30, team="api", title="Ledger", node_id=f"N{u}"),
            edge(gone, web, 2),
        ],
        first,  # redelivered whole
        [item(gone, 4, target=40), removed(gone, 8), edge(late, web, 6, False), demand],
        [
            edge(late, web, 5),
            item(api, 2, target=60),
            edge(gone, web, 7),
            schedule(f"jira-id:N{u}", 1, target=50),
        ],  # all late
        [
            schedule(late, 8, start=1, target=13),  # by canonical id, before the item
            item(late, 9, target=12, team="web"),
            item(web, 10, target=11, team="web", release_id=rel),
        ],
        [edge(f"jira-id:7{u}", f"jira-id:8{u}", 11)],  # a Jira UI link before its issues
        [item(f"jira:PAY-{u}", 12, target=30, node_id=f"7{u}"), item(ship, 12, node_id=f"8{u}")],
        [item(f"jira:OPS-{u}", 13, target=30, node_id=f"7{u}")],  # PAY moved to OPS
    ]


async def snapshot(db: Any, u: str) -> dict[str, list[dict[str, Any]]]:
    mine = {"_id": {"$regex": u}}
    return {name: [d async for d in db[name].find(mine).sort("_id", 1)] for name in COLLECTIONS}


@pytest.mark.parametrize("first_fill", [False, True], ids=["through-indexes", "indexed-after"])
async def test_rebuilt_projections_equal_live_ones_document_for_document(
    js: JetStreamContext,
    db: Any,
    client: Any,
    unique: str,
    first_fill: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if first_fill:  # as a rebuild of 10,000 items or more writes its assessments
        monkeypatch.setattr(AssessmentMirror, "first_fill", 1)
    live = Scheduler(db)
    await live.start()
    published: set[str] = set()
    for batch in history(unique):
        await live.feed(batch)
        await publish_once(js, batch, published)
    # What the announcer sent: each assessment records the id it was announced under.
    await publish_once(js, live.publisher.events, published)
    rebuilt = client[f"rebuilt_{unique}"]

    try:
        report = await rebuild_into(rebuilt, js, RiskPolicy(), TODAY)
        assert report.events >= len(published)
        expected, actual = await snapshot(db, unique), await snapshot(rebuilt, unique)
        indexes = [await d["assessments"].index_information() for d in (db, rebuilt)]
    finally:
        await client.drop_database(f"rebuilt_{unique}")

    assert actual == expected
    assert sorted(indexes[1]) == sorted(indexes[0])  # /risk reads the rebuild as it read live
    assert len(expected["assessments"]) == 5  # PAY moved: its assessment went with it
    assert len(expected["dependencies"]) == 4
    ship = next(d for d in expected["assessments"] if "SHIP" in d["_id"])
    assert ship["chain"] == [f"jira:SHIP-{unique}", f"jira:OPS-{unique}"]
    web = next(d for d in expected["assessments"] if "WEB" in d["_id"])
    assert web["level"] == "off_track"
    assert web["announced_as"] == live.publisher.risk(f"jira:WEB-{unique}")[-1].event_id
    assert web["chain"][1].startswith("jira:API")
    assert len(expected["schedules"]) == 3
    api = next(d for d in expected["assessments"] if "API" in d["_id"])
    assert from_bson_date(api["target"]) == day(25)


async def publish_once(js: JetStreamContext, events: list[Event], published: set[str]) -> None:
    for event in events:
        if event.event_id not in published:
            published.add(event.event_id)
            body = event.model_dump_json().encode()
            await js.publish(event.subject, body, headers={"Nats-Msg-Id": event.event_id})


async def test_rebuild_reproduces_risk_history_and_swap_keeps_older_entries(
    js: JetStreamContext, db: Any, client: Any, unique: str
) -> None:
    live = Scheduler(db)
    await live.start()
    published: set[str] = set()
    for batch in history(unique):
        await live.feed(batch)
        await publish_once(js, batch, published)
    await publish_once(js, live.publisher.events, published)  # what the announcer sent
    beyond_retention = {"_id": f"old-{unique}", "item_id": f"jira:WEB-{unique}", "at": at(-9999)}
    await db["assessment_history"].insert_one(beyond_retention)
    mine = {"item_id": {"$regex": unique}}
    expected = [d async for d in db["assessment_history"].find(mine).sort("_id", 1)]
    rebuilt = client[f"rebuilt_{unique}"]
    try:
        await rebuild_into(rebuilt, js, RiskPolicy(), TODAY)
        actual = [d async for d in rebuilt["assessment_history"].find(mine).sort("_id", 1)]
        found = await differences(db, rebuilt)
        await swap(client, f"rebuilt_{unique}", db.name)
    finally:
        await client.drop_database(f"rebuilt_{unique}")

    assert len(live.publisher.risk()) >= 2
    assert actual == [d for d in expected if d["_id"] != beyond_retention["_id"]]
    # Other tests' announcements may be on the stream too; none of this test's entries differ.
    assert not set(found.get("assessment_history", [])) & {d["_id"] for d in expected}
    kept = [d async for d in db["assessment_history"].find(mine).sort("_id", 1)]
    assert kept == expected
