"""Feedback projection and demand with an in-memory store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.feedback.handlers import project_feedback
from shared.events import FeedbackReceivedV1
from tests.support.fakes import InMemoryFeedbackStore

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def feedback(fid: str, customer: str, items: tuple[str, ...], age: int = 0) -> FeedbackReceivedV1:
    return FeedbackReceivedV1(
        event_id=f"e-{fid}-{age}",
        occurred_at=NOW,
        source="canny",
        feedback_id=fid,
        customer_id=customer,
        item_ids=items,
        source_updated_at=NOW - timedelta(minutes=age),
    )


async def test_each_customer_counts_once_per_item() -> None:
    store = InMemoryFeedbackStore()
    changes = await project_feedback(
        [
            feedback("f1", "acme", ("jira:PAY-1",)),
            feedback("f2", "acme", ("jira:PAY-1",)),
            feedback("f3", "globex", ("jira:PAY-1",)),
        ],
        store,
        NOW,
    )
    assert [(c.item_id, c.customers) for c in changes] == [("jira:PAY-1", 2)]


async def test_unchanged_demand_publishes_nothing() -> None:
    store = InMemoryFeedbackStore()
    await project_feedback([feedback("f1", "acme", ("jira:PAY-1",))], store, NOW)
    assert await project_feedback([feedback("f1", "acme", ("jira:PAY-1",))], store, NOW) == []


async def test_unlinking_feedback_lowers_the_old_items_demand() -> None:
    store = InMemoryFeedbackStore()
    await project_feedback([feedback("f1", "acme", ("jira:PAY-1",), age=5)], store, NOW)
    changes = await project_feedback([feedback("f1", "acme", ())], store, NOW)
    assert [(c.item_id, c.customers) for c in changes] == [("jira:PAY-1", 0)]


async def test_a_failed_announcement_saves_nothing_so_the_redelivery_announces_again() -> None:
    store = InMemoryFeedbackStore()
    batch = [feedback("f1", "acme", ("jira:PAY-1",))]

    async def broken(changes: object) -> None:
        raise ConnectionError("stream unavailable")

    with pytest.raises(ConnectionError):
        await project_feedback(batch, store, NOW, None, broken)
    assert await store.demand("jira:PAY-1") is None
    announced: list[object] = []

    async def working(changes: list[object]) -> None:
        announced.extend(changes)

    await project_feedback(batch, store, NOW, None, working)
    assert [c.item_id for c in announced] == ["jira:PAY-1"]  # type: ignore[attr-defined]
