"""Feedback and demand in MongoDB; upserts guarded by the source's own clock."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from services.feedback.domain import Demand
from shared.events import FeedbackReceivedV1
from shared.mongo import bulk_upsert_guarded


class MongoFeedbackStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.feedback = db["feedback"]
        self.demand_collection = db["demand"]

    async def ensure_indexes(self) -> None:
        await self.feedback.create_index("item_ids")

    async def apply(self, events: Sequence[FeedbackReceivedV1]) -> set[str]:
        if not events:
            return set()
        operations = [
            UpdateOne(
                {"_id": e.feedback_id, "source_updated_at": {"$lte": e.source_updated_at}},
                {"$set": e.model_dump(mode="python", exclude={"feedback_id", "subject"})},
                upsert=True,
            )
            for e in events
        ]
        # Items a feedback was linked to before this version matter too: an unlink lowers
        # their demand. A stale version changed nothing, so it touched nothing.
        cursor = self.feedback.find(
            {"_id": {"$in": [e.feedback_id for e in events]}}, projection={"item_ids": 1}
        )
        previous = {doc["_id"]: doc.get("item_ids", []) async for doc in cursor}
        stale = await bulk_upsert_guarded(self.feedback, operations)
        touched: set[str] = set()
        for index, event in enumerate(events):
            if index not in stale:
                touched.update(previous.get(event.feedback_id, ()), event.item_ids)
        return touched

    async def customers_waiting_on(self, item_id: str) -> list[str]:
        cursor = self.feedback.find(
            {"item_ids": item_id, "retracted": {"$ne": True}}, projection={"customer_id": 1}
        )
        return [document["customer_id"] async for document in cursor]

    async def demand(self, item_id: str) -> Demand | None:
        found = await self.demand_collection.find_one({"_id": item_id})
        return None if found is None else Demand(found["customers"], found["weight"])

    async def save_demand(self, item_id: str, demand: Demand) -> None:
        await self.demand_collection.update_one(
            {"_id": item_id},
            {"$set": {"customers": demand.customers, "weight": demand.weight}},
            upsert=True,
        )
