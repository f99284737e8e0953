"""Reading the notification log (the outbox's ``notifications``) and redriving failures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from services.notifier.domain.retry import REDRIVABLE_STATES


class MongoNotificationLog:
    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self.collection = collection

    async def recent(
        self,
        limit: int = 100,
        person: str | None = None,
        status: str | None = None,
        since: datetime | None = None,
    ) -> list[dict[str, Any]]:
        query: dict[str, Any] = {}
        if person is not None:
            query["person_id"] = person
        if status is not None:
            query["status"] = status
        if since is not None:
            query["updated_at"] = {"$gte": since}
        cursor = self.collection.find(query, projection={"body": 0}).sort("updated_at", -1)
        return [document async for document in cursor.limit(limit)]

    async def one(self, notification_id: str) -> dict[str, Any] | None:
        return await self.collection.find_one({"_id": notification_id})

    async def redrive(self, now: datetime, since: datetime | None = None) -> int:
        """Failed and dead messages become due again now; the outbox worker resends them."""
        query: dict[str, Any] = {"status": {"$in": list(REDRIVABLE_STATES)}}
        if since is not None:
            query["updated_at"] = {"$gte": since}
        update = {"$set": {"status": "pending", "due_at": now, "updated_at": now}}
        result = await self.collection.update_many(query, update)
        return result.modified_count
