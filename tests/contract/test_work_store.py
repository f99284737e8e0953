"""The scheduler's work store: guarded projections and the look-ups the handlers rely on."""

from __future__ import annotations

import pytest

from services.scheduler.documents import item_document
from services.scheduler.ports import WorkStore
from services.scheduler.projections import MongoWorkStore
from tests.contract.conftest import Database
from tests.unit.scheduler_app.fakes import InMemoryWorkStore
from tests.unit.scheduler_app.support import at, edge, item, release, removed, schedule

pytestmark = pytest.mark.contract


@pytest.fixture
async def store(database: Database | None) -> WorkStore:
    if database is None:
        return InMemoryWorkStore()
    mongo = MongoWorkStore(database)
    await mongo.ensure_indexes()
    return mongo


async def test_an_item_is_stored_as_its_document(store: WorkStore) -> None:
    event = item("a", 1, team="web", labels=("x", "y"), node_id="N_a")
    assert await store.apply([event]) == [event]
    assert await store.documents("items", {}) == [{"_id": "a", **item_document(event)}]


async def test_a_late_event_is_not_applied_and_changes_nothing(store: WorkStore) -> None:
    await store.apply([item("a", 5, title="new")])
    assert await store.apply([item("a", 1, title="old")]) == []
    [document] = await store.documents("items", {"_id": "a"})
    assert document["title"] == "new"


async def test_a_redelivered_event_applies_again_harmlessly(store: WorkStore) -> None:
    event = item("a", 1)
    assert await store.apply([event]) == [event]
    assert await store.apply([event]) == [event]
    assert len(await store.documents("items", {})) == 1


async def test_in_one_batch_the_newest_write_wins_whatever_the_order(store: WorkStore) -> None:
    newer, older = item("a", 5, title="newer"), item("a", 1, title="older")
    assert await store.apply([newer, older]) == [newer]
    [document] = await store.documents("items", {})
    assert document["title"] == "newer"


async def test_only_the_stale_event_of_a_batch_is_left_out(store: WorkStore) -> None:
    await store.apply([item("a", 5)])
    late, fresh = item("a", 1), item("b", 1)
    assert await store.apply([late, fresh, release("r", 30)]) == [fresh, release("r", 30)]


def everything_new(collection: str, key: str) -> bool:
    return True


async def test_believing_every_document_new_changes_no_outcome(store: WorkStore) -> None:
    # The hint picks insert over upsert; a wrong one (stored, tombstoned) must not show.
    await store.apply([item("a", 5, title="new"), removed("b", 2)], everything_new)
    late, revived, fresh = item("a", 1, title="old"), item("b", 3, title="back"), item("c", 1)
    batch = [late, revived, fresh, release("r", 1)]
    assert await store.apply(batch, everything_new) == [revived, fresh, release("r", 1)]
    documents = {d["_id"]: d for d in await store.documents("items", {})}
    assert documents["a"]["title"] == "new"
    assert (documents["b"]["title"], documents["b"]["removed_at"]) == ("back", at(2))
    assert documents["c"] == {"_id": "c", **item_document(fresh)}
    assert await store.apply(batch, everything_new) == [revived, fresh, release("r", 1)]


async def test_documents_filters_by_equality(store: WorkStore) -> None:
    await store.apply([edge("a", "b", 1), edge("a", "c", 1), edge("a", "c", 2, present=False)])
    present = await store.documents("dependencies", {"present": True})
    assert [(d["blocker_id"], d["blocked_id"]) for d in present] == [("a", "b")]
    assert await store.documents("nothing-here", {}) == []


async def test_a_removal_leaves_a_tombstone_that_outlives_a_revival(store: WorkStore) -> None:
    await store.apply([item("a", 1), removed("a", 2), item("b", 1)])
    assert await store.removed_at(["a", "b", "unknown"]) == {"a": at(2)}
    await store.apply([item("a", 3, title="back")])
    [document] = await store.documents("items", {"_id": "a"})
    assert (document["removed"], document["title"]) == (False, "back")
    assert await store.removed_at(["a"]) == {"a": at(2)}


async def test_items_are_found_by_id_or_by_their_tool_global_id(store: WorkStore) -> None:
    a, b, c, pay = "github:o/r#1", "github:o/r#2", "github:o/r#3", "jira:PAY-12"
    await store.apply(
        [
            item(a, 1),
            item(b, 1, node_id="N_b"),
            item(c, 1, node_id="N_c"),
            item(pay, 1, node_id="10002"),
        ]
    )
    refs = [a, "github-node:N_b", "github-node:N_zzz", "jira-id:10002"]
    found = await store.items_known_as(refs)
    assert sorted(d["_id"] for d in found) == sorted([a, b, pay])


async def test_edges_touching_includes_removed_edges_at_either_end(store: WorkStore) -> None:
    await store.apply([edge("a", "b", 1), edge("c", "a", 1, present=False), edge("c", "d", 1)])
    touching = await store.edges_touching(["a"])
    assert sorted((d["blocker_id"], d["blocked_id"], d["present"]) for d in touching) == [
        ("a", "b", True),
        ("c", "a", False),
    ]


async def test_plans_are_found_by_the_ref_they_name(store: WorkStore) -> None:
    await store.apply([schedule("a", 1, 3, 9), schedule("github-node:N_b", 1, None, 7)])
    plans = await store.plans_for(["a"])
    assert sorted((p["item_ref"], p["field"]) for p in plans) == [("a", "start"), ("a", "target")]
    assert await store.plans_for(["nobody"]) == []


async def test_a_cleared_plan_is_kept_with_no_date(store: WorkStore) -> None:
    await store.apply([schedule("a", 1, None, 9)])
    await store.apply([schedule("a", 2, None, None, "target")])
    [plan] = await store.plans_for(["a"])
    assert (plan["date"], plan["source_updated_at"]) == (None, at(2))


async def test_a_returned_document_is_the_callers_to_change(store: WorkStore) -> None:
    await store.apply([item("a", 1, title="stored")])
    [document] = await store.documents("items", {})
    document["title"] = "scribbled"
    [again] = await store.items_known_as(["a"])
    assert again["title"] == "stored"


async def test_clocks_are_kept_to_the_millisecond_as_bson_keeps_them(store: WorkStore) -> None:
    event = item("a", 1).model_copy(update={"source_updated_at": at(1).replace(microsecond=1999)})
    await store.apply([event])
    [document] = await store.documents("items", {})
    assert document["source_updated_at"] == at(1).replace(microsecond=1000)


async def test_within_one_millisecond_the_later_arrival_wins_as_bson_compares(
    store: WorkStore,
) -> None:
    first = item("a", 1, title="first")
    first = first.model_copy(update={"source_updated_at": at(1).replace(microsecond=1900)})
    second = item("a", 1, title="second")
    second = second.model_copy(update={"source_updated_at": at(1).replace(microsecond=1100)})
    await store.apply([first])
    assert await store.apply([second]) == [second]
