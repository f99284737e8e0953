"""Durable timers for scheduled reports, one row per report subscription, owned by the notifier.

``run_at`` is the scheduled instant (the report's message id derives from it); ``due_at`` is
when to try next (later than ``run_at`` while the scheduler is unreachable). Moving a row on
to its next run is conditional on ``run_at``, so two replicas advance it once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

REPORT_TIMERS = "notifier_report_timers"


class MongoReportTimers:
    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self.collection = collection

    async def schedule(self, subscription_id: str, row: dict[str, Any], run_at: datetime) -> None:
        document = {"_id": subscription_id, **row, "run_at": run_at, "due_at": run_at}
        await self.collection.replace_one({"_id": subscription_id}, document, upsert=True)

    async def drop(self, query: dict[str, Any]) -> None:
        await self.collection.delete_many(query)

    async def due(self, now: datetime, limit: int = 100) -> list[dict[str, Any]]:
        cursor = self.collection.find({"due_at": {"$lte": now}}).sort("due_at", 1)
        return [d async for d in cursor.limit(limit)]

    async def retry_at(self, row: dict[str, Any], until: datetime) -> None:
        query = {"_id": row["_id"], "run_at": row["run_at"]}
        await self.collection.update_one(query, {"$set": {"due_at": until}})

    async def advance(self, row: dict[str, Any], run_at: datetime) -> None:
        query = {"_id": row["_id"], "run_at": row["run_at"]}
        await self.collection.update_one(query, {"$set": {"run_at": run_at, "due_at": run_at}})
