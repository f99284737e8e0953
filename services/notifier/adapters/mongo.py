"""Notifications recorded in MongoDB, one document per notification id."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection

from services.notifier.domain import Notification


class MongoNotificationLog:
    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self.collection = collection

    async def was_sent(self, notification_id: str) -> bool:
        found = await self.collection.find_one(
            {"_id": notification_id, "status": "sent"}, projection={"_id": 1}
        )
        return found is not None

    async def record(
        self,
        notification: Notification,
        status: str,
        status_code: int | None,
        error: str | None = None,
    ) -> int:
        now = datetime.now(UTC)
        document = await self.collection.find_one_and_update(
            {"_id": notification.notification_id},
            {
                "$set": {
                    "status": status,
                    "status_code": status_code,
                    "error": error,
                    "destination": notification.destination,
                    "cause_event_id": notification.cause_event_id,
                    "event_type": notification.event_type,
                    "updated_at": now,
                },
                "$setOnInsert": {"created_at": now},
                "$inc": {"attempts": 1},
            },
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        assert document is not None, "an upsert returning the new document always finds one"
        return int(document["attempts"])

    async def recent(self, limit: int = 100) -> list[dict[str, Any]]:
        cursor = self.collection.find({}).sort("updated_at", -1).limit(limit)
        return [document async for document in cursor]
