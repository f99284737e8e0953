"""Feedback, manual links, demand and organisations in MongoDB; feedback upserts are guarded
by the source's own clock."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from services.feedback.domain.demand import Demand
from services.feedback.domain.organisations import Organisation
from shared.events import FeedbackReceivedV1
from shared.mongo import bulk_upsert_guarded


def feedback_of(document: dict[str, Any]) -> FeedbackReceivedV1:
    return FeedbackReceivedV1.model_validate({**document, "feedback_id": document["_id"]})


class MongoFeedbackStore:
    # Feedback's own collections; the scheduler keeps its own ``demand`` projection from
    # DemandChangedV1, so nothing here may share a name with it.
    COLLECTIONS = ("feedback", "feedback_links", "feedback_demand", "organisations")

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.feedback = db["feedback"]
        self.links = db["feedback_links"]
        self.demand_collection = db["feedback_demand"]
        self.organisation_collection = db["organisations"]

    async def ensure_indexes(self) -> None:
        await self.feedback.create_index("item_ids")
        await self.feedback.create_index("customer_id")
        await self.links.create_index("item_id")

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

    async def links_of(self, item_id: str) -> dict[str, bool]:
        cursor = self.links.find({"item_id": item_id})
        return {d["feedback_id"]: d["linked"] async for d in cursor}

    async def feedback_on(self, item_id: str) -> list[FeedbackReceivedV1]:
        decided = await self.links_of(item_id)
        linked = [f for f, yes in decided.items() if yes]
        # Two indexed queries rather than one ``$or``, which a server may answer by scanning.
        live = {"retracted": {"$ne": True}}
        found = {d["_id"]: d async for d in self.feedback.find({"item_ids": item_id, **live})}
        if linked:
            found.update(
                {d["_id"]: d async for d in self.feedback.find({"_id": {"$in": linked}, **live})}
            )
        return [feedback_of(found[k]) for k in sorted(found) if decided.get(k, True)]

    async def one_feedback(self, feedback_id: str) -> FeedbackReceivedV1 | None:
        found = await self.feedback.find_one({"_id": feedback_id})
        return None if found is None else feedback_of(found)

    async def feedback_from(self, customer_id: str) -> list[FeedbackReceivedV1]:
        cursor = self.feedback.find({"customer_id": customer_id}).sort("_id", 1)
        return [feedback_of(d) async for d in cursor]

    async def set_link(self, feedback_id: str, item_id: str, linked: bool, at: datetime) -> None:
        document = {"feedback_id": feedback_id, "item_id": item_id, "linked": linked, "at": at}
        await self.links.replace_one({"_id": f"{feedback_id} {item_id}"}, document, upsert=True)

    async def items_asked_by(self, domains: Collection[str], names: Collection[str]) -> set[str]:
        ways: list[dict[str, Any]] = [{"organisation": {"$in": list(names)}}]
        if domains:
            pattern = "@(?:" + "|".join(re.escape(d) for d in sorted(domains)) + ")$"
            ways.append({"customer_id": {"$regex": pattern}})
        query = {"$or": ways, "retracted": {"$ne": True}}
        found = [d async for d in self.feedback.find(query, projection={"item_ids": 1})]
        items = {i for d in found for i in d.get("item_ids", [])}
        manual = {"feedback_id": {"$in": [d["_id"] for d in found]}, "linked": True}
        return items | {d["item_id"] async for d in self.links.find(manual)}

    async def demand(self, item_id: str) -> Demand | None:
        found = await self.demand_collection.find_one({"_id": item_id})
        return None if found is None else demand_of(found)

    async def save_demand(self, item_id: str, demand: Demand) -> None:
        await self.demand_collection.update_one(
            {"_id": item_id}, {"$set": asdict(demand)}, upsert=True
        )

    async def ranked_demand(self, limit: int) -> list[tuple[str, Demand]]:
        cursor = self.demand_collection.find({"customers": {"$gt": 0}})
        cursor = cursor.sort([("weight", DESCENDING), ("_id", ASCENDING)]).limit(limit)
        return [(d["_id"], demand_of(d)) async for d in cursor]

    async def organisations(self) -> dict[str, Organisation]:
        cursor = self.organisation_collection.find({})
        return {d["_id"]: organisation_of(d) async for d in cursor}

    async def save_organisation(self, organisation: Organisation) -> None:
        document = asdict(organisation)
        key = document.pop("organisation_id")
        document["domains"] = list(organisation.domains)
        await self.organisation_collection.replace_one({"_id": key}, document, upsert=True)


def demand_of(document: dict[str, Any]) -> Demand:
    return Demand(
        document["customers"],
        document["weight"],
        document.get("organisations", 0),
        document.get("arr_waiting"),
    )


def organisation_of(document: dict[str, Any]) -> Organisation:
    return Organisation(
        organisation_id=document["_id"],
        name=document.get("name"),
        domains=tuple(document.get("domains", ())),
        tier=document.get("tier"),
        arr=document.get("arr"),
    )
