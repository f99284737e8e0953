"""The stored assessments: whole documents keyed by item id, replaced and removed in bulk."""

from __future__ import annotations

from typing import Any

import pytest

from services.scheduler.adapters.mongo import MongoAssessmentStore
from services.scheduler.ports import AssessmentStore
from tests.contract.conftest import Database
from tests.unit.scheduler_app.fakes import InMemoryAssessmentStore
from tests.unit.scheduler_app.support import at

pytestmark = pytest.mark.contract


@pytest.fixture
def store(database: Database | None) -> AssessmentStore:
    return InMemoryAssessmentStore() if database is None else MongoAssessmentStore(database)


def assessment(item_id: str, level: str = "at_risk", **fields: Any) -> dict[str, Any]:
    reasons = [{"code": "blocked_late", "blocker_id": "b"}]
    return {"_id": item_id, "level": level, "band": 1, "reasons": reasons, **fields}


def by_id(documents: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {document["_id"]: document for document in documents}


async def test_saved_documents_come_back_as_saved(store: AssessmentStore) -> None:
    saved = [assessment("a", forecast=at(3)), assessment("b", "off_track", chain=["c", "d"])]
    await store.save(saved)
    assert by_id(await store.all()) == by_id(saved)


async def test_a_save_replaces_the_whole_document(store: AssessmentStore) -> None:
    await store.save([assessment("a", owner="ann")])
    await store.save([assessment("a", "off_track")])
    assert await store.all() == [assessment("a", "off_track")]


async def test_remove_drops_only_the_named_items(store: AssessmentStore) -> None:
    await store.save([assessment("a"), assessment("b"), assessment("c")])
    await store.remove(["a", "c", "never-stored"])
    assert await store.all() == [assessment("b")]


async def test_nothing_to_save_or_remove_is_no_error(store: AssessmentStore) -> None:
    await store.save([])
    await store.remove([])
    assert await store.all() == []


async def test_a_returned_document_is_the_callers_to_change(store: AssessmentStore) -> None:
    await store.save([assessment("a")])
    [document] = await store.all()
    document["reasons"].append({"code": "stale"})
    assert await store.all() == [assessment("a")]
