"""Feedback's work projection: items and releases guarded by the source's clock, closures
remembered once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.feedback.adapters.work import MongoWorkProjection
from services.feedback.domain.loops import Closure, WorkItem, announcement_id
from services.feedback.ports import WorkProjection
from shared.events import (
    ItemChangedV1,
    LoopClosableV1,
    ReleaseChangedV1,
    WaitingCustomer,
)
from tests.contract.conftest import Database
from tests.support.fakes import InMemoryWorkProjection

pytestmark = pytest.mark.contract

T0 = datetime(2026, 11, 25, tzinfo=UTC)


@pytest.fixture
async def work(database: Database | None) -> WorkProjection:
    if database is None:
        return InMemoryWorkProjection()
    mongo = MongoWorkProjection(database)
    await mongo.ensure_indexes()
    return mongo


def item(key: str, status: str, minute: int, **extra: str) -> ItemChangedV1:
    return ItemChangedV1(
        event_id=f"i-{key}-{minute}", occurred_at=T0, source="jira", item_id=key,
        title=f"T {key}", status=status, source_updated_at=T0 + timedelta(minutes=minute),
        **extra,
    )  # fmt: skip


def release(state: str, minute: int) -> ReleaseChangedV1:
    return ReleaseChangedV1(
        event_id=f"r-{state}-{minute}", occurred_at=T0, source="jira", release_id="rel",
        name="9", state=state, source_updated_at=T0 + timedelta(minutes=minute),
    )  # fmt: skip


def closable(key: str, because: str, *feedback_ids: str, late: bool = False) -> LoopClosableV1:
    closure = Closure(key, because)
    return LoopClosableV1(
        event_id=announcement_id(closure, feedback_ids if late else ()), occurred_at=T0,
        source="slipstream", item_id=key,
        because=because, customers=(WaitingCustomer(customer_id="c", feedback_ids=feedback_ids),),
    )  # fmt: skip


async def test_late_item_versions_are_not_applied(work: WorkProjection) -> None:
    [applied] = await work.apply_items([item("a", "done", 5, team="pay", release_id="rel")])
    assert applied == WorkItem("a", "done", "T a", "pay", "rel")
    assert await work.apply_items([item("a", "todo", 1)]) == []
    assert (await work.item("a")) == applied
    assert await work.item("nope") is None


async def test_versions_of_one_item_in_one_batch_leave_the_newest_in_any_order(
    work: WorkProjection,
) -> None:
    # New items (inserted) and a stored one (upserted), each with versions out of order.
    await work.apply_items([item("old", "todo", 1)])
    batch = [item("new", "done", 9), item("new", "todo", 2), item("old", "in_progress", 7),
             item("old", "todo", 0), item("other", "todo", 3)]  # fmt: skip
    applied = await work.apply_items(batch)
    assert [(i.item_id, i.status) for i in applied] == [
        ("new", "done"), ("old", "in_progress"), ("other", "todo")
    ]  # fmt: skip
    assert (await work.item("new")) == WorkItem("new", "done", "T new", None, None)
    assert await work.apply_items([item("new", "done", 9)]) != []  # the same version again
    assert (await work.item("old")) == WorkItem("old", "in_progress", "T old", None, None)


async def test_releases_applied_released_are_reported(work: WorkProjection) -> None:
    await work.apply_items([item("a", "todo", 1, release_id="rel"), item("b", "todo", 1)])
    assert await work.apply_releases([release("open", 1)]) == []
    assert await work.apply_releases([release("released", 2)]) == ["rel"]
    assert await work.apply_releases([release("open", 1)]) == []
    assert await work.released_among(["rel", "nope"]) == {"rel"}
    assert await work.released_among([]) == set()
    assert [i.item_id for i in await work.items_in("rel")] == ["a"]


async def test_items_are_found_by_team_and_release(work: WorkProjection) -> None:
    await work.apply_items(
        [item("a", "todo", 1, team="pay", release_id="rel"), item("b", "todo", 1, team="pay")]
    )
    assert await work.items_where("pay", None) == {"a", "b"}
    assert await work.items_where("pay", "rel") == {"a"}
    assert await work.items_where("web", None) == set()


async def test_a_closure_is_remembered_once_with_the_feedback_it_told(
    work: WorkProjection,
) -> None:
    done, shipped = Closure("a", "done"), Closure("a", "released", "rel")
    await work.record([closable("a", "done", "f1", "f2")])
    await work.record([closable("a", "done", "f9")])  # replayed or re-decided: the first stays
    assert await work.closed([done, shipped]) == {done}
    assert await work.told("a") == {"f1", "f2"}
    assert await work.told("b") == set()


async def test_a_late_announcement_tells_its_pieces_and_leaves_the_closure_as_it_was(
    work: WorkProjection,
) -> None:
    done = Closure("a", "done")
    await work.record([closable("a", "done", "f1")])
    late = closable("a", "done", "f7", late=True)
    await work.record([late, late])  # redelivered: once
    assert await work.closed([done]) == {done}
    assert await work.told("a") == {"f1", "f7"}


async def test_items_whose_loops_may_close_are_those_done_or_in_a_release(
    work: WorkProjection,
) -> None:
    await work.apply_items(
        [item("a", "done", 1), item("b", "todo", 1, release_id="rel"), item("c", "todo", 1)]
    )
    found = await work.closable_among(["a", "b", "c", "nope"])
    assert [i.item_id for i in found] == ["a", "b"]
