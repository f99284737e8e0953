"""Guarded upserts on a real MongoDB-wire server: late and repeated events change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient, UpdateOne, monitoring

from services.feedback.adapters.mongo import MongoFeedbackStore
from shared.events import FeedbackReceivedV1
from shared.mongo import (
    DECODE_BATCH_DOCUMENTS,
    DECODE_OFF_LOOP_BYTES,
    bulk_upsert_guarded,
    find_decoded,
    write_new_or_guarded,
)

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def db(fresh_database: Any) -> Any:
    return fresh_database


def versioned(key: str, at: datetime, value: str) -> UpdateOne:
    return UpdateOne(
        {"_id": key, "at": {"$lte": at}}, {"$set": {"at": at, "value": value}}, upsert=True
    )


async def test_older_version_after_newer_is_reported_stale_and_changes_nothing(db: Any) -> None:
    await bulk_upsert_guarded(db.things, [versioned("k", T0 + timedelta(hours=1), "new")])
    stale = await bulk_upsert_guarded(db.things, [versioned("k", T0, "old")])
    assert stale == {0}
    assert (await db.things.find_one({"_id": "k"}))["value"] == "new"


async def test_redelivered_version_is_harmless(db: Any) -> None:
    for _ in range(2):
        assert await bulk_upsert_guarded(db.things, [versioned("k", T0, "v")]) == set()
    assert await db.things.count_documents({}) == 1


async def test_one_stale_write_does_not_block_the_rest_of_the_batch(db: Any) -> None:
    await bulk_upsert_guarded(db.things, [versioned("a", T0 + timedelta(days=1), "new")])
    stale = await bulk_upsert_guarded(
        db.things, [versioned("a", T0, "old"), versioned("b", T0, "fresh")]
    )
    assert stale == {0}
    assert (await db.things.find_one({"_id": "b"}))["value"] == "fresh"


async def test_feedback_store_counts_customers_and_sees_unlinks(db: Any) -> None:
    store = MongoFeedbackStore(db)
    await store.ensure_indexes()

    def feedback(item_ids: tuple[str, ...], at: datetime) -> FeedbackReceivedV1:
        return FeedbackReceivedV1(
            event_id=f"e{at.timestamp()}",
            occurred_at=at,
            source="canny",
            feedback_id="canny:post/9",
            customer_id="email:a@x.test",
            item_ids=item_ids,
            source_updated_at=at,
        )

    assert await store.apply([feedback(("jira:PAY-1",), T0)]) == {"jira:PAY-1"}
    assert await customers_waiting_on(store, "jira:PAY-1") == ["email:a@x.test"]
    assert await store.apply([feedback((), T0 + timedelta(minutes=1))]) == {"jira:PAY-1"}
    assert await customers_waiting_on(store, "jira:PAY-1") == []


async def customers_waiting_on(store: MongoFeedbackStore, item_id: str) -> list[str]:
    return [f.customer_id for f in await store.feedback_on(item_id)]


async def test_a_write_believed_new_that_is_stored_takes_its_guarded_upsert(db: Any) -> None:
    await bulk_upsert_guarded(db.things, [versioned("old", T0 + timedelta(hours=1), "stored")])
    writes = [
        ({"_id": "old", "at": T0, "value": "insert"}, versioned("old", T0, "late")),  # stale
        ({"_id": "new", "at": T0, "value": "first"}, versioned("new", T0, "first")),
        (None, versioned("new", T0 + timedelta(hours=2), "second")),
    ]
    # Inserts first, then the upserts in order: "new" is inserted, then moved on.
    assert await write_new_or_guarded(db.things, writes) == [1, 2]
    assert (await db.things.find_one({"_id": "old"}))["value"] == "stored"
    assert (await db.things.find_one({"_id": "new"}))["value"] == "second"


class Replies(monitoring.CommandListener):
    """How many documents each find or getMore asked for (the most a reply may carry)."""

    def __init__(self) -> None:
        self.asked: list[int | None] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name in ("find", "getMore"):
            self.asked.append(event.command.get("batchSize"))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def test_a_large_read_comes_whole_and_decoded_in_replies_of_bounded_size(
    db: Any, mongodb_url: str
) -> None:
    # More documents than one reply may hold, and more bytes than are decoded on the event
    # loop: decoded off the loop, reply by reply (each one C call holding the GIL), nothing
    # lost between replies.
    count = DECODE_BATCH_DOCUMENTS * 2 + 7
    padding = "x" * (DECODE_OFF_LOOP_BYTES // DECODE_BATCH_DOCUMENTS)
    await db.things.insert_many(
        [{"_id": f"k{n:05d}", "at": T0, "padding": padding} for n in range(count)]
    )
    replies = Replies()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        mongodb_url, tz_aware=True, event_listeners=[replies]
    )
    try:
        documents = await find_decoded(client[db.name].things, {})
    finally:
        await client.close()

    assert [d["_id"] for d in documents] == [f"k{n:05d}" for n in range(count)]
    assert documents[0]["at"] == T0
    assert len(replies.asked) >= 3
    assert set(replies.asked) == {DECODE_BATCH_DOCUMENTS}
