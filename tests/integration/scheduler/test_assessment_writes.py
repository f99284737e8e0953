"""Assessment writes on a real server: inserts where nothing is stored, the same outcome."""

from __future__ import annotations

from typing import Any

import pytest

from services.scheduler.adapters.mongo import MongoAssessmentStore, ensure_history_indexes
from services.scheduler.projections import MongoWorkStore
from services.scheduler.risk_table import RANK

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


async def secondary_indexes(db: Any, collection: str = "assessments") -> list[str]:
    return sorted(name for name in await db[collection].index_information() if name != "_id_")


async def test_an_empty_collection_is_filled_first_and_indexed_afterwards(db: Any) -> None:
    await MongoWorkStore(db).ensure_indexes()
    indexed = await secondary_indexes(db)
    assert len(indexed) == 5
    store = MongoAssessmentStore(db)

    async with store.filling_empty():
        assert await secondary_indexes(db) == []
        await store.save([{"_id": f"jira:A-{n}", "score": float(n)} for n in range(50)], fresh=True)

    assert await secondary_indexes(db) == indexed
    assert len(await store.all()) == 50
    # /risk reads its first page off the rank index again, not a sort of the collection.
    plan = await db["assessments"].find({}).sort(RANK).limit(5).explain()
    assert "'indexName': 'score_-1__id_1'" in str(plan["queryPlanner"]["winningPlan"])


async def test_a_collection_with_documents_keeps_its_indexes_while_written(db: Any) -> None:
    await MongoWorkStore(db).ensure_indexes()
    store = MongoAssessmentStore(db)
    await store.save([{"_id": "jira:OLD", "score": 1.0}])

    async with store.filling_empty():
        assert len(await secondary_indexes(db)) == 5
        await store.save([{"_id": "jira:NEW", "score": 2.0}], fresh=True)

    assert len(await secondary_indexes(db)) == 5


async def test_a_fill_that_fails_still_leaves_the_collection_indexed(db: Any) -> None:
    await MongoWorkStore(db).ensure_indexes()
    store = MongoAssessmentStore(db)

    async def fill_then_fail() -> None:
        async with store.filling_empty():
            await store.save([{"_id": "jira:A", "score": 1.0}], fresh=True)
            raise ConnectionError("the database went away mid-fill")

    with pytest.raises(ConnectionError):
        await fill_then_fail()

    assert len(await secondary_indexes(db)) == 5


async def test_an_empty_history_is_filled_first_and_indexed_afterwards_with_its_retention(
    db: Any,
) -> None:
    await ensure_history_indexes(db, 30)
    store = MongoAssessmentStore(db, history_retention_days=30)
    entries = [{"_id": f"risk-{n}", "item_id": "jira:A", "at": n} for n in range(20)]

    async with store.filling_empty():
        assert await secondary_indexes(db, "assessment_history") == []
        await store.record(entries)

    assert await secondary_indexes(db, "assessment_history") == ["at_ttl", "item_id_1_at_1"]
    ttl = (await db["assessment_history"].index_information())["at_ttl"]
    assert ttl["expireAfterSeconds"] == 30 * 86400
    assert await db["assessment_history"].count_documents({}) == 20


async def test_history_with_entries_or_without_a_known_retention_keeps_its_indexes(
    db: Any,
) -> None:
    await ensure_history_indexes(db, 30)
    # Without the retention the store could not build the TTL index again: it leaves it.
    async with MongoAssessmentStore(db).filling_empty():
        assert len(await secondary_indexes(db, "assessment_history")) == 2
    store = MongoAssessmentStore(db, history_retention_days=30)
    await store.record([{"_id": "risk-0", "item_id": "jira:A", "at": 0}])

    async with store.filling_empty():
        assert len(await secondary_indexes(db, "assessment_history")) == 2
        await store.record([{"_id": "risk-1", "item_id": "jira:A", "at": 1}])

    assert len(await secondary_indexes(db, "assessment_history")) == 2
