"""Assessments and the re-check lease in MongoDB."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, OperationFailure

from services.scheduler.risk_table import RANK
from shared.mongo import find_decoded, indexed_after_filling, insert_new, save_whole

# The fields ``/risk`` filters by.
RISK_FILTERS = ("level", "team", "release_id", "owner")


def assessment_indexes() -> list[IndexModel]:
    """/risk ranks by score then id; each filter's index ends in that whole order, so a page is
    a walk of index ranges (a sort on score alone would still sort ties)."""
    return [IndexModel(RANK), *(IndexModel([(f, ASCENDING), *RANK]) for f in RISK_FILTERS)]


async def ensure_assessment_indexes(collection: AsyncCollection[dict[str, Any]]) -> None:
    await collection.create_indexes(assessment_indexes())


class MongoAssessmentStore:
    def __init__(
        self, db: AsyncDatabase[dict[str, Any]], history_retention_days: int | None = None
    ) -> None:
        self.collection = db["assessments"]
        self.history = db["assessment_history"]
        # Needed to build the history's TTL index again; without it a fill leaves the
        # history's indexes as they are.
        self.history_retention_days = history_retention_days

    async def record(self, entries: Sequence[dict[str, Any]]) -> None:
        """Append history; an entry already there (same event id) keeps its first copy.

        Inserts, not ``$setOnInsert`` upserts: the same outcome, and on the embedded server
        a sixth of the cost (a first start writes one entry per announcement, 20,000+).
        """
        if entries:
            await insert_new(self.history, entries)

    async def save(self, documents: Sequence[dict[str, Any]], *, fresh: bool = False) -> None:
        await save_whole(self.collection, documents, fresh=fresh)

    async def remove(self, item_ids: Sequence[str]) -> None:
        if item_ids:
            await self.collection.delete_many({"_id": {"$in": list(item_ids)}})

    async def all(self) -> list[dict[str, Any]]:
        return await find_decoded(self.collection, {})

    @asynccontextmanager
    async def filling_empty(self) -> AsyncIterator[None]:
        """Fill the assessments, and the history when this store knows its retention, before
        indexing them, each only if it is empty (see ``indexed_after_filling``). A first
        start writes 100,000 assessments into five indexes and 60,000 history entries into
        two."""
        async with AsyncExitStack() as fills:
            names = [model.document["name"] for model in assessment_indexes()]
            await fills.enter_async_context(
                indexed_after_filling(
                    self.collection, names, lambda: ensure_assessment_indexes(self.collection)
                )
            )
            retention = self.history_retention_days
            if retention is not None:
                await fills.enter_async_context(
                    indexed_after_filling(
                        self.history,
                        HISTORY_INDEXES,
                        lambda: ensure_history_indexes(self.history.database, retention),
                    )
                )
            yield


HISTORY_TIMELINE, HISTORY_TTL = "item_id_1_at_1", "at_ttl"
HISTORY_INDEXES = (HISTORY_TIMELINE, HISTORY_TTL)


async def ensure_history_indexes(db: AsyncDatabase[dict[str, Any]], retention_days: int) -> None:
    """Per-item timelines, and a TTL index that drops entries older than the retention."""
    history = db["assessment_history"]
    await history.create_index([("item_id", ASCENDING), ("at", ASCENDING)], name=HISTORY_TIMELINE)
    ttl = retention_days * 86400
    try:
        await history.create_index("at", name=HISTORY_TTL, expireAfterSeconds=ttl)
    except OperationFailure:
        # The retention changed since the index was made; an index's options cannot be edited.
        await history.drop_index(HISTORY_TTL)
        await history.create_index("at", name=HISTORY_TTL, expireAfterSeconds=ttl)


class MongoLease:
    """A named lease: one holder at a time, taken over only once it has expired.

    The filter matches a free, expired or self-held lease; if another live holder has it the
    upsert collides on ``_id`` and the answer is no.
    """

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.collection = db["leases"]

    async def acquire(self, name: str, holder: str, ttl_seconds: float, now: datetime) -> bool:
        try:
            await self.collection.update_one(
                {"_id": name, "$or": [{"holder": holder}, {"expires_at": {"$lt": now}}]},
                {"$set": {"holder": holder, "expires_at": now + timedelta(seconds=ttl_seconds)}},
                upsert=True,
            )
        except DuplicateKeyError:
            return False
        return True

    async def release(self, name: str, holder: str) -> None:
        await self.collection.delete_one({"_id": name, "holder": holder})
