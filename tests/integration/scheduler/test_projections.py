"""Scheduler projections on a real MongoDB-compatible server: idempotent and order-tolerant."""

from __future__ import annotations

from typing import Any

import pytest

from services.scheduler.documents import stored_reasons
from services.scheduler.projections import MongoWorkStore, edge_id
from shared.events import DemandChangedV1
from tests.integration.scheduler.conftest import Scheduler
from tests.unit.scheduler_app.support import at, edge, item, removed

pytestmark = pytest.mark.integration


async def test_redelivered_event_changes_nothing(scheduler: Scheduler, unique: str) -> None:
    a, b = f"jira:A-{unique}", f"jira:B-{unique}"
    batch = [item(a, 1, target=10), item(b, 1, target=30), edge(b, a, 2)]
    await scheduler.feed(batch)
    before = [await scheduler.document(n, k) for n, k in (("items", a), ("assessments", a))]

    assert await scheduler.feed(batch) == 0
    after = [await scheduler.document(n, k) for n, k in (("items", a), ("assessments", a))]
    assert after == before
    assert len(scheduler.publisher.risk(a)) == 1


async def test_older_event_after_newer_changes_nothing(scheduler: Scheduler, unique: str) -> None:
    a = f"jira:A-{unique}"
    await scheduler.feed([item(a, 5, target=10, title="new title")])
    await scheduler.feed([item(a, 1, target=3, title="old title")])

    stored = await scheduler.document("items", a)
    assert stored is not None
    assert stored["title"] == "new title"
    assert scheduler.live.portfolio.item(a).title == "new title"  # type: ignore[union-attr]


async def test_edge_removed_then_late_added_stays_removed(
    scheduler: Scheduler, unique: str
) -> None:
    a, b = f"jira:A-{unique}", f"jira:B-{unique}"
    await scheduler.feed([item(a, 1, target=10), item(b, 1, target=30)])
    await scheduler.feed([edge(b, a, 5, present=False)])
    await scheduler.feed([edge(b, a, 3)])

    stored = await scheduler.document("dependencies", edge_id(b, a))
    assert stored is not None
    assert stored["present"] is False
    assessment = await scheduler.document("assessments", a)
    assert assessment is not None
    assert assessment["level"] == "on_track"
    assert scheduler.publisher.risk(a) == []


async def test_same_batch_out_of_order_keeps_the_newest(scheduler: Scheduler, unique: str) -> None:
    a, b = f"jira:A-{unique}", f"jira:B-{unique}"
    await scheduler.feed(
        [item(a, 1, target=10), item(b, 1, target=30), edge(b, a, 5, False), edge(b, a, 3)]
    )
    stored = await scheduler.document("dependencies", edge_id(b, a))
    assert stored is not None
    assert stored["present"] is False
    assert scheduler.live.portfolio.assessment(a).level == "on_track"  # type: ignore[union-attr]


async def test_dependency_whose_blocker_arrives_later_is_picked_up(
    scheduler: Scheduler, unique: str
) -> None:
    a, b = f"jira:A-{unique}", f"jira:B-{unique}"
    await scheduler.feed([item(a, 1, target=10), edge(b, a, 2)])
    undated = await scheduler.document("assessments", a)
    assert undated is not None
    assert [r["code"] for r in stored_reasons(undated)] == ["blocker_undated"]

    await scheduler.feed([item(b, 3, target=30)])

    late = await scheduler.document("assessments", a)
    assert late is not None
    assert late["level"] == "off_track"
    assert [r["code"] for r in stored_reasons(late)] == ["blocker_late"]
    assert late["chain"] == [a, b]


async def test_deleted_blocker_stops_blocking_and_an_older_link_does_not_revive_it(
    scheduler: Scheduler, unique: str
) -> None:
    a, b = f"jira:A-{unique}", f"jira:B-{unique}"
    await scheduler.feed([item(a, 1, target=10), item(b, 1, target=30), edge(b, a, 2)])
    await scheduler.feed([removed(b, 6)])
    await scheduler.feed([edge(b, a, 4)])

    assessment = await scheduler.document("assessments", a)
    assert assessment is not None
    assert assessment["level"] == "on_track"
    assert await scheduler.document("assessments", b) is None
    levels = [e.level for e in scheduler.publisher.risk(a)]
    assert levels == ["off_track", "on_track"]


async def test_busy_item_that_keeps_its_verdict_is_announced_once(
    scheduler: Scheduler, unique: str
) -> None:
    a, b = f"jira:A-{unique}", f"jira:B-{unique}"
    await scheduler.feed([item(a, 1, target=10), item(b, 1, target=30), edge(b, a, 2)])
    for minute in range(3, 23):
        await scheduler.feed([item(b, minute, target=30, title=f"Ledger, edit {minute}")])
        await scheduler.feed([item(a, minute, target=10, owner=f"owner-{minute % 3}")])

    assert len(scheduler.publisher.risk(a)) == 1
    stored = await scheduler.document("assessments", a)
    assert stored is not None
    assert stored["owner"] == "owner-1"


async def test_demand_projection_keeps_who_waits_and_ignores_older_news(
    scheduler: Scheduler, unique: str
) -> None:
    a = f"jira:A-{unique}"

    def demand(minute: int, customers: int, organisations: int | None) -> DemandChangedV1:
        return DemandChangedV1(
            event_id=f"d-{unique}-{minute}",
            occurred_at=at(minute),
            source="slipstream",
            item_id=a,
            customers=customers,
            weight=float(customers),
            organisations=organisations,
            arr_waiting=None if organisations is None else 5_000.0,
        )

    await scheduler.feed([item(a, 1, target=10), demand(5, 3, 2)])
    assert await scheduler.feed([demand(5, 3, 2)]) == 0  # redelivered
    assert await scheduler.feed([demand(2, 9, None)]) == 0  # older, from before the fields
    stored = await scheduler.document("demand", a)
    assert stored is not None
    assert (stored["customers"], stored["organisations"], stored["arr_waiting"]) == (3, 2, 5e3)


async def test_indexes_are_what_queries_ask_and_retired_ones_are_dropped(db: Any) -> None:
    # As an earlier version left the items: with a team and a release index nothing reads.
    await db["items"].create_index("team")
    await db["items"].create_index("release_id")
    store = MongoWorkStore(db)

    await store.ensure_indexes()
    await store.ensure_indexes()  # each start makes them again: a second run changes nothing

    assert sorted(await db["items"].index_information()) == ["_id_", "node_id_1"]
    ranked = [name for name in await db["assessments"].index_information() if name != "_id_"]
    assert sorted(ranked) == [
        "level_1_score_-1__id_1",
        "owner_1_score_-1__id_1",
        "release_id_1_score_-1__id_1",
        "score_-1__id_1",
        "team_1_score_-1__id_1",
    ]
