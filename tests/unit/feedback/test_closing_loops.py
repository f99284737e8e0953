"""Closing the loop: done or released work names who waited on it, once per closure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.feedback.closing import close_for_feedback, close_loops
from services.feedback.domain.organisations import Organisation
from services.feedback.handlers import Weighing, project_feedback
from services.feedback.views import FeedbackViews
from shared.events import FeedbackReceivedV1, ItemChangedV1, ReleaseChangedV1
from tests.support.fakes import InMemoryFeedbackStore, InMemoryWorkProjection

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 25, tzinfo=UTC)
ACME = Organisation("org:acme", "Acme", ("acme.test",), "gold", 50_000, "kim@vendor.test")


def said(fid: str, email: str, item: str = "jira:PAY-1") -> FeedbackReceivedV1:
    return FeedbackReceivedV1(
        event_id=f"e-{fid}", occurred_at=NOW, source="zendesk", kind="ticket",
        feedback_id=fid, customer_id=f"email:{email}", customer_name=email.split("@")[0],
        url=f"https://help.test/{fid}", item_ids=(item,), source_updated_at=NOW,
    )  # fmt: skip


def item(status: str, minute: int, release: str | None = None) -> ItemChangedV1:
    return ItemChangedV1(
        event_id=f"i-{status}-{minute}", occurred_at=NOW, source="jira", item_id="jira:PAY-1",
        title="Export", status=status, team="payments", release_id=release,
        source_updated_at=NOW + timedelta(minutes=minute),
    )  # fmt: skip


def release(state: str, minute: int) -> ReleaseChangedV1:
    return ReleaseChangedV1(
        event_id=f"r-{state}-{minute}", occurred_at=NOW, source="jira", release_id="jira:v/9",
        name="9", state=state, source_updated_at=NOW + timedelta(minutes=minute),
    )  # fmt: skip


@pytest.fixture
async def weighing() -> Weighing:
    store = InMemoryFeedbackStore()
    weighing = Weighing(store, from_file={ACME.organisation_id: ACME})
    batch = [said("z1", "ann@acme.test"), said("z2", "bo@acme.test"), said("z3", "cy@globex.test")]
    await project_feedback(batch, store, NOW, weighing)
    return weighing


async def test_an_item_becoming_done_names_each_waiting_customer_and_account_owner(
    weighing: Weighing,
) -> None:
    work = InMemoryWorkProjection()
    assert await close_loops([item("in_progress", 1)], work, weighing, NOW) == []
    [closable] = await close_loops([item("done", 2)], work, weighing, NOW)
    assert (closable.item_id, closable.because, closable.title) == ("jira:PAY-1", "done", "Export")
    ann = closable.customers[0]
    assert (ann.email, ann.organisation_name, ann.account_owner) == (
        "ann@acme.test",
        "Acme",
        "kim@vendor.test",
    )
    assert ann.urls == ("https://help.test/z1",)
    assert [c.organisation_id for c in closable.customers] == [
        "org:acme",
        "org:acme",
        "domain:globex.test",
    ]


async def test_a_closure_is_announced_once_across_redelivery(weighing: Weighing) -> None:
    work = InMemoryWorkProjection()
    first = await close_loops([item("done", 2)], work, weighing, NOW)
    await work.record(first)
    assert await close_loops([item("done", 2)], work, weighing, NOW) == []
    assert await close_loops([item("done", 3)], work, weighing, NOW) == []


async def test_an_unrecorded_closure_is_decided_again_with_the_same_event_id(
    weighing: Weighing,
) -> None:
    work = InMemoryWorkProjection()
    [lost] = await close_loops([item("done", 2)], work, weighing, NOW)
    [again] = await close_loops([item("done", 2)], InMemoryWorkProjection(), weighing, NOW)
    assert again.event_id == lost.event_id


async def test_a_release_shipping_closes_the_loop_of_its_items(weighing: Weighing) -> None:
    work = InMemoryWorkProjection()
    await close_loops([item("in_progress", 1, "jira:v/9"), release("open", 1)], work, weighing, NOW)
    [closable] = await close_loops([release("released", 2)], work, weighing, NOW)
    assert (closable.because, closable.release_id) == ("released", "jira:v/9")
    await work.record([closable])
    # A late "open" changes nothing, and a redelivered release closes nothing twice.
    assert (
        await close_loops([release("open", 1), release("released", 2)], work, weighing, NOW) == []
    )


async def test_an_items_feedback_says_who_was_told_and_who_still_waits(
    weighing: Weighing,
) -> None:
    work = InMemoryWorkProjection()
    await work.record(await close_loops([item("done", 2)], work, weighing, NOW))
    await project_feedback([said("z4", "di@initech.test")], weighing.store, NOW, weighing)
    pieces = await FeedbackViews(weighing, work).on_item("jira:PAY-1")
    assert pieces is not None
    assert {p["feedback_id"]: p["state"] for p in pieces} == {
        "z1": "told",
        "z2": "told",
        "z3": "told",
        "z4": "waiting",
    }


async def test_a_customer_asking_after_the_work_is_done_is_told_then_and_once(
    weighing: Weighing,
) -> None:
    work = InMemoryWorkProjection()
    [first] = await close_loops([item("done", 2)], work, weighing, NOW)
    await work.record([first])
    await project_feedback([said("z4", "di@initech.test")], weighing.store, NOW, weighing)
    [late] = await close_for_feedback(["jira:PAY-1"], work, weighing, NOW)
    assert (late.because, [c.email for c in late.customers]) == ("done", ["di@initech.test"])
    assert late.event_id != first.event_id
    # Unrecorded, it is decided again as the same event; recorded, the piece is told.
    [again] = await close_for_feedback(["jira:PAY-1"], work, weighing, NOW)
    assert again.event_id == late.event_id
    await work.record([late])
    assert await close_for_feedback(["jira:PAY-1"], work, weighing, NOW) == []
    assert await work.told("jira:PAY-1") == {"z1", "z2", "z3", "z4"}


async def test_a_late_piece_on_work_done_and_shipped_is_told_once(weighing: Weighing) -> None:
    work = InMemoryWorkProjection()
    events = [release("released", 1), item("done", 2, "jira:v/9")]
    await work.record(await close_loops(events, work, weighing, NOW))
    await project_feedback([said("z4", "di@initech.test")], weighing.store, NOW, weighing)
    [late] = await close_for_feedback(["jira:PAY-1"], work, weighing, NOW)
    assert [c.feedback_ids for c in late.customers] == [("z4",)]


async def test_work_done_while_nobody_waited_closes_when_someone_asks(
    weighing: Weighing,
) -> None:
    work = InMemoryWorkProjection()
    other = said("z9", "ed@initech.test", item="jira:PAY-2")
    done = item("done", 2).model_copy(update={"item_id": "jira:PAY-2"})
    assert await close_loops([done], work, weighing, NOW) == []
    await project_feedback([other], weighing.store, NOW, weighing)
    [closable] = await close_for_feedback(["jira:PAY-2", "jira:nowhere"], work, weighing, NOW)
    assert (closable.item_id, closable.customers[0].email) == ("jira:PAY-2", "ed@initech.test")
    assert await close_for_feedback([], work, weighing, NOW) == []


async def test_demand_can_be_filtered_by_the_items_team_and_release(weighing: Weighing) -> None:
    work = InMemoryWorkProjection()
    await close_loops([item("in_progress", 1, "jira:v/9")], work, weighing, NOW)
    views = FeedbackViews(weighing, work)
    assert [r["item_id"] for r in await views.ranked(10, NOW, team="payments")] == ["jira:PAY-1"]
    assert await views.ranked(10, NOW, team="web") == []
    assert len(await views.ranked(10, NOW, release="jira:v/9")) == 1
