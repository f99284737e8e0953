"""Assessments and the re-check lease in MongoDB."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, OperationFailure

from services.scheduler.risk_table import RANK
from shared.mongo import drop_indexes, find_decoded, insert_new, save_whole
from shared.telemetry import log_fields

logger = logging.getLogger(__name__)

# The fields ``/risk`` filters by.
RISK_FILTERS = ("level", "team", "release_id", "owner")


def assessment_indexes() -> list[IndexModel]:
    """/risk ranks by score then id; each filter's index ends in that whole order, so a page is
    a walk of index ranges (a sort on score alone would still sort ties)."""
    return [IndexModel(RANK), *(IndexModel([(f, ASCENDING), *RANK]) for f in RISK_FILTERS)]


async def ensure_assessment_indexes(collection: AsyncCollection[dict[str, Any]]) -> None:
    await collection.create_indexes(assessment_indexes())


class MongoAssessmentStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.collection = db["assessments"]
        self.history = db["assessment_history"]

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
        """Fill an empty collection first and index it afterwards.

        On the embedded server each index costs every insert a walk of the collection's
        index catalogue; building an index over stored documents does not (20,000
        assessments: 5.4 s inserted into their five indexes, 4.0 s inserted and then
        indexed). Only an empty collection is left unindexed meanwhile, and the indexes come
        back however the fill ends (if this process dies first, the next start's
        ``ensure_indexes`` builds them).
        """
        empty = await self.collection.find_one({}, {"_id": 1}) is None
        if empty:
            names = [model.document["name"] for model in assessment_indexes()]
            await drop_indexes(self.collection, names)
        try:
            yield
        finally:
            if empty:
                began = time.perf_counter()
                await ensure_assessment_indexes(self.collection)
                # How long a first start spent indexing what it wrote.
                logger.info(
                    "assessments indexed after filling",
                    extra=log_fields(seconds=round(time.perf_counter() - began, 3)),
                )


async def ensure_history_indexes(db: AsyncDatabase[dict[str, Any]], retention_days: int) -> None:
    """Per-item timelines, and a TTL index that drops entries older than the retention."""
    history = db["assessment_history"]
    await history.create_index([("item_id", ASCENDING), ("at", ASCENDING)])
    ttl = retention_days * 86400
    try:
        await history.create_index("at", name="at_ttl", expireAfterSeconds=ttl)
    except OperationFailure:
        # The retention changed since the index was made; an index's options cannot be edited.
        await history.drop_index("at_ttl")
        await history.create_index("at", name="at_ttl", expireAfterSeconds=ttl)


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
