"""The feedback store's tallies where only MongoDB has the question: a crash between two
collections' writes, and collections an earlier version left behind."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from services.feedback.adapters.mongo import MongoFeedbackStore
from tests.contract.test_feedback_store import T0, feedback

pytestmark = pytest.mark.integration

Database = AsyncDatabase[dict[str, Any]]


@pytest.fixture
def database(fresh_database: Database) -> Database:
    return fresh_database


async def test_a_crash_between_the_feedback_and_its_tally_is_mended_by_the_redelivery(
    database: Database,
) -> None:
    store = MongoFeedbackStore(database)
    await store.apply([feedback("f1", "acme", ("a",), minute=1)])
    moved = feedback("f1", "acme", ("b",), minute=2)
    await store.write([moved], previous={"f1"})  # stored, then the process died
    assert await store.apply([moved]) == {"a", "b"}  # the redelivery
    assert [a.feedback_id for a in (await store.asked_on(["a", "b"]))["b"]] == ["f1"]
    assert (await store.asked_on(["a"]))["a"] == []
    assert await database["feedback_tallies"].count_documents({"_id": "a"}) == 0


async def test_feedback_stored_before_tallies_existed_is_tallied_once_at_start(
    database: Database,
) -> None:
    store = MongoFeedbackStore(database)
    await store.apply(
        [feedback("f1", "acme", ("a", "b")), feedback("f2", "globex", ("b",), retracted=True),
         feedback("f3", "initech", ())]
    )  # fmt: skip
    await store.set_link("f1", "b", False, T0)
    await store.set_link("f3", "a", True, T0)
    tallied = await store.asked_on(["a", "b"])
    await database["feedback_tallies"].drop()  # as an earlier version left the database
    await database["feedback"].update_many({}, {"$unset": {"ever_on": ""}})
    assert (await store.asked_on(["a", "b"]))["a"] == []
    assert await store.backfill_tallies() == 2
    assert await store.asked_on(["a", "b"]) == tallied
    assert await store.backfill_tallies() == 0
