"""The feedback store: feedback guarded by the source's clock, and demand per item."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.feedback.adapters.mongo import MongoFeedbackStore
from services.feedback.domain import Demand
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
    assert await store.customers_waiting_on("a") == []
    assert await store.customers_waiting_on("b") == ["acme"]


async def test_late_feedback_touches_nothing_and_changes_nothing(store: FeedbackStore) -> None:
    await store.apply([feedback("f1", "acme", ("a",), minute=5)])
    assert await store.apply([feedback("f1", "acme", ("b",), minute=1)]) == set()
    assert await store.customers_waiting_on("a") == ["acme"]
    assert await store.customers_waiting_on("b") == []


async def test_redelivered_feedback_applies_again(store: FeedbackStore) -> None:
    event = feedback("f1", "acme", ("a",), minute=1)
    await store.apply([event])
    assert await store.apply([event]) == {"a"}
    assert await store.customers_waiting_on("a") == ["acme"]


async def test_one_late_feedback_does_not_hold_back_the_rest(store: FeedbackStore) -> None:
    await store.apply([feedback("f1", "acme", ("a",), minute=5)])
    batch = [feedback("f1", "acme", ("x",), minute=1), feedback("f2", "globex", ("b",))]
    assert await store.apply(batch) == {"b"}


async def test_waiting_customers_leave_out_retracted_feedback(store: FeedbackStore) -> None:
    await store.apply(
        [
            feedback("f1", "acme", ("a",)),
            feedback("f2", "globex", ("a",), retracted=True),
            feedback("f3", "acme", ("a", "b")),
        ]
    )
    assert sorted(await store.customers_waiting_on("a")) == ["acme", "acme"]
    assert await store.customers_waiting_on("nobody") == []


async def test_demand_is_what_was_last_saved(store: FeedbackStore) -> None:
    assert await store.demand("a") is None
    await store.save_demand("a", Demand(2, 3.5))
    await store.save_demand("a", Demand(1, 1.0))
    assert await store.demand("a") == Demand(1, 1.0)
    assert await store.demand("b") is None


async def test_within_one_millisecond_the_later_arrival_wins_as_bson_compares(
    store: FeedbackStore,
) -> None:
    first = feedback("f1", "acme", ("a",))
    first = first.model_copy(update={"source_updated_at": T0.replace(microsecond=1900)})
    second = feedback("f1", "acme", ("b",))
    second = second.model_copy(update={"source_updated_at": T0.replace(microsecond=1100)})
    await store.apply([first])
    assert await store.apply([second]) == {"a", "b"}
