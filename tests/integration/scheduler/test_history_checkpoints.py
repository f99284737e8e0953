"""Risk history read at an instant from checkpoints, on the real Mongo-wire server: the same
answer as a pass over every entry, for the hand-written history and at every instant around it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from services.scheduler.adapters.mongo import MongoAssessmentStore, ensure_history_indexes
from services.scheduler.history import latest_per_item
from services.scheduler.history_checkpoints import (
    CHECKPOINTS,
    HistoryCheckpoints,
    ensure_checkpoint_indexes,
)
from tests.unit.scheduler_app.test_history import HISTORY, MON

pytestmark = pytest.mark.integration

LATER = MON + timedelta(days=10)


def answer(entries: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["item_id"], e["level"]) for e in entries]


def instants() -> list[Any]:
    """Every entry's instant, a second either side, and every midnight in between."""
    moments = {MON - timedelta(days=1), LATER}
    for entry in HISTORY:
        moments |= {entry["at"] + timedelta(seconds=s) for s in (-1, 0, 1)}
    moments |= {MON.replace(hour=0) + timedelta(days=n) for n in range(6)}
    return sorted(moments)


@pytest.fixture
async def checkpoints(db: Any) -> HistoryCheckpoints:
    await ensure_history_indexes(db, 400)
    await ensure_checkpoint_indexes(db, 400)
    await MongoAssessmentStore(db).record(HISTORY)
    return HistoryCheckpoints(db, period_days=1)


async def test_checkpoints_answer_as_the_whole_history_does(
    checkpoints: HistoryCheckpoints, db: Any
) -> None:
    built = await checkpoints.catch_up(LATER)
    assert built == 4  # the days with entries: Monday to Thursday
    assert await checkpoints.catch_up(LATER) == 0
    for moment in instants():
        expected = latest_per_item(HISTORY, moment)
        assert answer(await checkpoints.entries_at(moment)) == answer(expected), moment
    wednesday = await checkpoints.entries_at(MON + timedelta(hours=50))
    assert answer(wednesday) == [("C", "off_track"), ("A", "off_track"), ("B", "at_risk")]
    assert wednesday[0]["_id"] == "C@30b"


async def test_a_checkpoint_missing_a_part_is_not_used(
    checkpoints: HistoryCheckpoints, db: Any
) -> None:
    await checkpoints.catch_up(LATER)
    await db[CHECKPOINTS].delete_many({"entries": {"$exists": True}})
    thursday = MON + timedelta(hours=80)
    assert answer(await checkpoints.entries_at(thursday)) == answer(
        latest_per_item(HISTORY, thursday)
    )


async def test_a_period_not_over_gets_no_checkpoint_yet(
    checkpoints: HistoryCheckpoints, db: Any
) -> None:
    assert await checkpoints.catch_up(MON + timedelta(hours=1)) == 0
    assert await db[CHECKPOINTS].count_documents({}) == 0
