"""Assessment writes on a real server: inserts where nothing is stored, the same outcome."""

from __future__ import annotations

from typing import Any

import pytest

from services.scheduler.adapters.mongo import MongoAssessmentStore

pytestmark = pytest.mark.integration


async def test_fresh_documents_are_inserted_and_one_already_stored_is_replaced(db: Any) -> None:
    store = MongoAssessmentStore(db)
    await store.save([{"_id": "jira:OLD", "score": 1.0, "level": "at_risk"}])
    await store.save(
        [{"_id": "jira:NEW", "score": 2.0}, {"_id": "jira:OLD", "score": 3.0}], fresh=True
    )

    stored = {d["_id"]: d for d in await store.all()}
    assert stored == {
        "jira:NEW": {"_id": "jira:NEW", "score": 2.0},
        "jira:OLD": {"_id": "jira:OLD", "score": 3.0},
    }


async def test_a_history_entry_recorded_again_keeps_its_first_copy(db: Any) -> None:
    store = MongoAssessmentStore(db)
    await store.record([{"_id": "risk-1", "level": "at_risk"}])
    await store.record([{"_id": "risk-1", "level": "off_track"}, {"_id": "risk-2"}])

    history = {d["_id"]: d async for d in db["assessment_history"].find({})}
    assert history == {"risk-1": {"_id": "risk-1", "level": "at_risk"}, "risk-2": {"_id": "risk-2"}}
