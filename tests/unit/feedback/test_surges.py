"""Surges: a recent window far above the item's own baseline, with a minimum volume."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.feedback.domain.surges import SurgePolicy, rate, surge_to_announce, trend
from services.feedback.handlers import Weighing, project_feedback
from shared.events import DemandSurgedV1, FeedbackReceivedV1, ItemChangedV1
from tests.support.fakes import InMemoryFeedbackStore, InMemoryWorkProjection

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
POLICY = SurgePolicy()


def hours_ago(*hours: float) -> list[datetime]:
    return [NOW - timedelta(hours=h) for h in hours]


def test_a_burst_well_above_a_quiet_baseline_surges() -> None:
    asked = hours_ago(1, 2, 3, 4, 5, 100, 300)
    found = rate(asked, NOW, POLICY)
    assert (found.recent, found.baseline) == (5, round(2 / 28, 4))
    assert surge_to_announce(asked, NOW, None, POLICY) == found


def test_too_few_pieces_never_surge_however_quiet_the_baseline() -> None:
    assert surge_to_announce(hours_ago(1, 2, 3, 4), NOW, None, POLICY) is None


def test_an_item_that_is_always_busy_does_not_surge_at_its_usual_rate() -> None:
    # Six a day for four weeks: six today is the baseline, not a surge.
    asked = [NOW - timedelta(hours=4 * n + 1) for n in range(6 * 29)]
    assert rate(asked, NOW, POLICY).recent == 6
    assert surge_to_announce(asked, NOW, None, POLICY) is None


def test_a_surge_is_announced_once_per_episode() -> None:
    asked = hours_ago(1, 2, 3, 4, 5, 6)
    assert surge_to_announce(asked, NOW, NOW - timedelta(hours=3), POLICY) is None
    assert surge_to_announce(asked, NOW, NOW - timedelta(hours=30), POLICY) is not None


def test_trend_counts_pieces_per_window_oldest_first_and_ignores_the_future() -> None:
    asked = hours_ago(1, 2, 25, 24 * 6 + 1, 24 * 9, -1)
    assert trend(asked, NOW, POLICY) == [1, 0, 0, 0, 0, 1, 2]


def test_a_policy_that_cannot_detect_anything_is_refused() -> None:
    with pytest.raises(ValueError, match="ratio > 1"):
        SurgePolicy(ratio=1.0)
    with pytest.raises(ValueError, match="must be positive"):
        SurgePolicy(window=timedelta(0))


def said(number: int, hours: float) -> FeedbackReceivedV1:
    at = NOW - timedelta(hours=hours)
    return FeedbackReceivedV1(
        event_id=f"e-{number}", occurred_at=at, source="canny", kind="vote",
        feedback_id=f"canny:vote/{number}", customer_id=f"email:c{number}@x{number}.test",
        item_ids=("jira:PAY-12",), source_updated_at=at,
    )  # fmt: skip


async def test_projecting_a_burst_announces_one_surge_with_the_items_demand() -> None:
    store, work = InMemoryFeedbackStore(), InMemoryWorkProjection()
    await work.apply_items([ItemChangedV1(
        event_id="i", occurred_at=NOW, source="jira", item_id="jira:PAY-12", title="Pay by link",
        status="todo",
        source_updated_at=NOW,
    )])  # fmt: skip
    weighing = Weighing(store, titles=work.titles)
    await project_feedback([said(0, 200)], store, NOW, weighing)
    first = await project_feedback([said(n, n) for n in range(1, 6)], store, NOW, weighing)
    surges = [e for e in first if isinstance(e, DemandSurgedV1)]
    assert [(s.item_id, s.recent, s.customers, s.window_seconds) for s in surges] == [
        ("jira:PAY-12", 5, 6, 86400.0)
    ]
    assert surges[0].title == "Pay by link"
    again = await project_feedback([said(6, 0.5)], store, NOW, weighing)
    assert not any(isinstance(e, DemandSurgedV1) for e in again)
