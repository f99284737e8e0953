"""Risk history: entries from announcements, kept once per event, and read at an instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.scheduler.history import latest_per_item, matches
from tests.unit.scheduler_app.test_announcing import BLOCKED, Harness

pytestmark = pytest.mark.unit

MON = datetime(2026, 3, 2, 9, tzinfo=UTC)


def entry(item_id: str, hours: int, level: str, score: float, n: str = "") -> dict[str, Any]:
    return {
        "_id": f"{item_id}@{hours}{n}",
        "item_id": item_id,
        "at": MON + timedelta(hours=hours),
        "level": level,
        "score": score,
        "team": "web",
    }


# A hand-written history: A slips Monday, worsens Tuesday, recovers Thursday; B slips Wednesday;
# C slipped and was announced twice in the same instant (the later id wins, deterministically).
HISTORY = [
    entry("A", 0, "at_risk", 40.0),
    entry("B", 48, "at_risk", 55.0),
    entry("A", 24, "off_track", 70.0),
    entry("A", 72, "on_track", 0.0),
    entry("C", 30, "at_risk", 20.0, "a"),
    entry("C", 30, "off_track", 90.0, "b"),
]


def levels(instant: datetime) -> list[tuple[str, str]]:
    return [(e["item_id"], e["level"]) for e in latest_per_item(HISTORY, instant)]


def test_before_anything_happened_nothing_was_at_risk() -> None:
    assert levels(MON - timedelta(seconds=1)) == []


def test_an_entry_counts_from_its_own_instant() -> None:
    assert levels(MON) == [("A", "at_risk")]


def test_tuesday_evening_ranks_the_latest_entry_of_each_item_by_score() -> None:
    assert levels(MON + timedelta(hours=36)) == [("C", "off_track"), ("A", "off_track")]


def test_thursday_a_has_recovered_and_b_slipped_meanwhile() -> None:
    assert levels(MON + timedelta(hours=80)) == [
        ("C", "off_track"),
        ("B", "at_risk"),
        ("A", "on_track"),
    ]


def test_filters_apply_to_the_answer_not_to_the_entries() -> None:
    then = latest_per_item(HISTORY, MON + timedelta(hours=80))
    at_risk = [e["item_id"] for e in then if matches(e, {"level": "at_risk"})]
    assert at_risk == ["B"]  # A's Monday at_risk entry is no longer its state


async def test_each_announcement_is_kept_once_even_when_the_store_write_is_retried() -> None:
    harness = Harness()
    harness.assessments.fail_saving("jira:A")
    with pytest.raises(ConnectionError):
        await harness.feed(BLOCKED)
    await harness.feed(BLOCKED)
    await harness.feed(BLOCKED)  # redelivered: no change, nothing to keep

    kept = list(harness.assessments.history.values())
    assert [(e["item_id"], e["level"]) for e in kept] == [("jira:A", "off_track")]
    assert kept[0]["_id"] == harness.publisher.risk("jira:A")[0].event_id
