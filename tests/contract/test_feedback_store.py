"""The feedback store: feedback guarded by the source's clock, and demand per item."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from services.feedback.adapters.mongo import MongoFeedbackStore
from services.feedback.domain.demand import Demand
from services.feedback.domain.organisations import Organisation
from services.feedback.domain.weighing import Ask
from services.feedback.ports import FeedbackStore
from shared.events import FeedbackReceivedV1
from tests.contract.conftest import Database
from tests.support.fakes import InMemoryFeedbackStore

pytestmark = pytest.mark.contract

T0 = datetime(2026, 11, 25, tzinfo=UTC)


@pytest.fixture
async def store(database: Database | None) -> FeedbackStore:
    if database is None:
        return InMemoryFeedbackStore()
    mongo = MongoFeedbackStore(database)
    await mongo.ensure_indexes()
    return mongo


def feedback(
    fid: str, customer: str, items: tuple[str, ...], minute: int = 0, retracted: bool = False
) -> FeedbackReceivedV1:
    return FeedbackReceivedV1(
        event_id=f"e-{fid}-{minute}",
        occurred_at=T0,
        source="canny",
        feedback_id=fid,
        customer_id=customer,
        item_ids=items,
        retracted=retracted,
        source_updated_at=T0 + timedelta(minutes=minute),
    )


async def test_new_feedback_touches_the_items_it_names(store: FeedbackStore) -> None:
    assert await store.apply([feedback("f1", "acme", ("a", "b"))]) == {"a", "b"}
    assert await store.apply([]) == set()


async def test_relinking_touches_the_items_it_left_as_well(store: FeedbackStore) -> None:
    await store.apply([feedback("f1", "acme", ("a",), minute=1)])
    assert await store.apply([feedback("f1", "acme", ("b",), minute=2)]) == {"a", "b"}
    assert await customers_waiting_on(store, "a") == []
    assert await customers_waiting_on(store, "b") == ["acme"]


async def test_late_feedback_touches_nothing_and_changes_nothing(store: FeedbackStore) -> None:
    await store.apply([feedback("f1", "acme", ("a",), minute=5)])
    assert await store.apply([feedback("f1", "acme", ("b",), minute=1)]) == set()
    assert await customers_waiting_on(store, "a") == ["acme"]
    assert await customers_waiting_on(store, "b") == []


async def test_redelivered_feedback_applies_again(store: FeedbackStore) -> None:
    event = feedback("f1", "acme", ("a",), minute=1)
    await store.apply([event])
    assert await store.apply([event]) == {"a"}
    assert await customers_waiting_on(store, "a") == ["acme"]


async def test_one_late_feedback_does_not_hold_back_the_rest(store: FeedbackStore) -> None:
    await store.apply([feedback("f1", "acme", ("a",), minute=5)])
    batch = [feedback("f1", "acme", ("x",), minute=1), feedback("f2", "globex", ("b",))]
    assert await store.apply(batch) == {"b"}


@pytest.mark.parametrize("newer_first", [True, False])
async def test_two_versions_of_new_feedback_in_one_batch_leave_the_newer(
    store: FeedbackStore, newer_first: bool
) -> None:
    older, newer = feedback("f1", "acme", ("a",), minute=1), feedback("f1", "acme", ("b",), 2)
    batch = [newer, older] if newer_first else [older, newer]
    touched = await store.apply(batch)
    assert "b" in touched
    assert await customers_waiting_on(store, "b") == ["acme"]
    assert await customers_waiting_on(store, "a") == []


async def test_retracting_feedback_a_person_linked_touches_the_item_they_linked(
    store: FeedbackStore,
) -> None:
    # The demand on "m" must be weighed again, or the withdrawn vote would count there still.
    await store.apply([feedback("f1", "acme", ("a",))])
    await store.set_link("f1", "m", True, T0)
    assert await store.apply([feedback("f1", "acme", ("a",), 1, retracted=True)]) == {"a", "m"}
    assert await customers_waiting_on(store, "m") == []


async def test_waiting_customers_leave_out_retracted_feedback(store: FeedbackStore) -> None:
    await store.apply(
        [
            feedback("f1", "acme", ("a",)),
            feedback("f2", "globex", ("a",), retracted=True),
            feedback("f3", "acme", ("a", "b")),
        ]
    )
    assert sorted(await customers_waiting_on(store, "a")) == ["acme", "acme"]
    assert await customers_waiting_on(store, "nobody") == []


async def test_demand_is_what_was_last_saved(store: FeedbackStore) -> None:
    assert await store.demand("a") is None
    await store.save_demand("a", Demand(2, 3.5))
    await store.save_demand("a", Demand(1, 1.0))
    assert await store.demand("a") == Demand(1, 1.0)
    assert await store.demand("b") is None


async def test_demand_believed_new_still_replaces_a_stored_one(store: FeedbackStore) -> None:
    await store.save_demands({"a": Demand(2, 3.5), "b": Demand(1, 1.0)})
    await store.save_demands({"a": Demand(1, 2.0), "b": Demand(0, 0.0)})  # "a" not known
    assert await store.demands(["a", "b"]) == {"a": Demand(1, 2.0)}


async def test_within_one_millisecond_the_later_arrival_wins_as_bson_compares(
    store: FeedbackStore,
) -> None:
    first = feedback("f1", "acme", ("a",))
    first = first.model_copy(update={"source_updated_at": T0.replace(microsecond=1900)})
    second = feedback("f1", "acme", ("b",))
    second = second.model_copy(update={"source_updated_at": T0.replace(microsecond=1100)})
    await store.apply([first])
    assert await store.apply([second]) == {"a", "b"}


async def test_a_manual_unlink_outlives_a_later_delivery_naming_the_item(
    store: FeedbackStore,
) -> None:
    await store.apply([feedback("f1", "acme", ("a",), minute=1)])
    await store.set_link("f1", "a", False, T0)
    await store.apply([feedback("f1", "acme", ("a",), minute=2)])
    assert await customers_waiting_on(store, "a") == []
    assert await store.links_of("a") == {"f1": False}


async def test_a_manual_link_adds_feedback_the_tool_never_linked(store: FeedbackStore) -> None:
    await store.apply([feedback("f1", "acme", ("a",)), feedback("f2", "globex", ())])
    await store.set_link("f2", "a", True, T0)
    assert await customers_waiting_on(store, "a") == ["acme", "globex"]
    assert await customers_waiting_on(store, "b") == []


async def test_feedback_is_found_by_id_and_by_customer(store: FeedbackStore) -> None:
    await store.apply([feedback("f1", "acme", ("a",)), feedback("f2", "acme", ("b",))])
    assert (await store.one_feedback("f1")) == feedback("f1", "acme", ("a",))
    assert await store.one_feedback("nope") is None
    assert [f.feedback_id for f in await store.feedback_from("acme")] == ["f1", "f2"]


async def test_ranked_demand_is_heaviest_first_without_empty_items(store: FeedbackStore) -> None:
    await store.save_demand("a", Demand(1, 1.0, 1))
    await store.save_demand("b", Demand(3, 4.5, 2, 90_000.0))
    await store.save_demand("c", Demand(0, 0.0))
    assert await store.ranked_demand(10) == [
        ("b", Demand(3, 4.5, 2, 90_000.0)),
        ("a", Demand(1, 1.0, 1)),
    ]
    assert [i for i, _ in await store.ranked_demand(1)] == ["b"]


async def test_an_organisation_is_what_was_last_saved(store: FeedbackStore) -> None:
    first = Organisation("org:acme", "Acme", ("acme.test",), "gold", 50_000.0)
    await store.save_organisation(first)
    await store.save_organisation(Organisation("org:acme", "Acme Inc", (), None, None))
    assert await store.organisations() == {"org:acme": Organisation("org:acme", "Acme Inc")}


async def test_items_asked_by_an_organisations_domains_or_name(store: FeedbackStore) -> None:
    tool_named = feedback("f3", "zendesk:user/9", ("c",)).model_copy(
        update={"organisation": "Acme"}
    )
    await store.apply(
        [
            feedback("f1", "email:ann@acme.test", ("a",)),
            feedback("f2", "email:bo@notacme.test", ("b",)),
            tool_named,
            feedback("f4", "email:cy@acme.test", ("d",), retracted=True),
            feedback("f5", "email:di@acme.test", ()),
        ]
    )
    await store.set_link("f5", "e", True, T0)
    assert await store.items_asked_by({"acme.test"}, {"Acme"}) == {"a", "c", "e"}
    assert await store.items_asked_by(set(), {"Nobody"}) == set()


async def test_nobody_waiting_is_no_demand_at_all(store: FeedbackStore) -> None:
    await store.save_demand("a", Demand(2, 2.0, 1))
    await store.save_demand("a", Demand(0, 0.0))
    assert await store.demand("a") is None


async def test_feedback_counts_when_first_asked_however_often_it_is_edited(
    store: FeedbackStore,
) -> None:
    await store.apply([feedback("f1", "acme", ("a",), minute=5)])
    await store.apply([feedback("f1", "acme", ("a",), minute=1)])  # late: the earlier version
    await store.apply([feedback("f1", "acme", ("a",), minute=9), feedback("f2", "x", ("a",))])
    await store.set_link("f3", "a", True, T0)
    assert await store.asked_times("a") == [T0, T0 + timedelta(minutes=5)]
    assert await store.asked_times("b") == []


async def test_the_last_surge_only_moves_forward(store: FeedbackStore) -> None:
    assert await store.last_surge("a") is None
    await store.save_surge("a", T0 + timedelta(hours=2))
    await store.save_surge("a", T0)
    assert await store.last_surge("a") == T0 + timedelta(hours=2)


async def test_ranked_demand_can_be_limited_to_some_items(store: FeedbackStore) -> None:
    await store.save_demand("a", Demand(1, 1.0, 1))
    await store.save_demand("b", Demand(3, 4.5, 2))
    assert [i for i, _ in await store.ranked_demand(10, {"a", "z"})] == ["a"]
    assert await store.ranked_demand(10, set()) == []


async def test_feedback_on_many_items_at_once_is_as_on_each_alone(store: FeedbackStore) -> None:
    await store.apply(
        [feedback("f1", "acme", ("a", "b")), feedback("f2", "globex", ("b",)),
         feedback("f3", "initech", ())]
    )  # fmt: skip
    await store.set_link("f1", "b", False, T0)
    await store.set_link("f3", "a", True, T0)
    together = await store.asked_on(["a", "b", "c"])
    assert {i: [x.feedback_id for x in on] for i, on in together.items()} == {
        "a": ["f1", "f3"], "b": ["f2"], "c": []
    }  # fmt: skip
    for item in ("a", "b", "c"):
        assert await weighed_from_tally(store, item) == await weighed_in_full(store, item)
    assert await store.demands(["a"]) == {}


async def customers_waiting_on(store: FeedbackStore, item_id: str) -> list[str]:
    return [f.customer_id for f in await store.feedback_on(item_id)]


async def weighed_from_tally(store: FeedbackStore, item: str) -> list[tuple[str, Ask]]:
    return [(a.feedback_id, a.feedback) for a in (await store.asked_on([item]))[item]]


async def weighed_in_full(store: FeedbackStore, item: str) -> list[tuple[str, Ask]]:
    """What the tally must hold: each live piece on the item, whole, as weighing reads it."""
    return [(f.feedback_id, Ask.of(f)) for f in await store.feedback_on(item)]


@pytest.mark.parametrize("seed", [7, 8, 9])
async def test_the_tally_holds_what_the_whole_feedback_says_after_any_history(
    store: FeedbackStore, seed: int
) -> None:
    # Versions out of order and in one batch, items moved, retractions and revivals, people
    # linking and unlinking in between: after each step, every item's tally is exactly its
    # live feedback as the whole documents and the decisions say, first asked when the
    # reference store says.
    reference = InMemoryFeedbackStore()
    rng = random.Random(seed)
    items, ids = ("a", "b", "c"), ("f1", "f2", "f3", "f4")
    for step in range(60):
        if rng.random() < 0.2:
            decision = (rng.choice(ids), rng.choice(items), rng.random() < 0.5, T0)
            await store.set_link(*decision)
            await reference.set_link(*decision)
        else:
            batch = [
                feedback(
                    rng.choice(ids),
                    rng.choice(("acme", "globex")),
                    tuple(rng.sample(items, rng.randint(0, 2))),
                    minute=rng.randint(0, 30),
                    retracted=rng.random() < 0.15,
                )
                for _ in range(rng.randint(1, 4))
            ]
            assert await store.apply(batch) == await reference.apply(batch), step
        assert await store.asked_on(items) == await reference.asked_on(items), step
        for item in items:
            assert await weighed_from_tally(store, item) == await weighed_in_full(store, item), step
