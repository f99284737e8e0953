"""Feedback, manual links, demand and organisations in MongoDB; feedback upserts are guarded
by the source's own clock."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from services.feedback.domain.customers import email_domain
from services.feedback.domain.demand import Demand
from services.feedback.domain.organisations import Organisation, organisation_id
from shared.events import FeedbackReceivedV1
from shared.mongo import bulk_upsert_guarded


def feedback_of(document: dict[str, Any]) -> FeedbackReceivedV1:
    return FeedbackReceivedV1.model_validate({**document, "feedback_id": document["_id"]})


class MongoFeedbackStore:
    # Feedback's own collections; the scheduler keeps its own ``demand`` projection from
    # DemandChangedV1, so nothing here may share a name with it.
    COLLECTIONS = (
        "feedback",
        "feedback_links",
        "feedback_demand",
        "feedback_surges",
        "organisations",
    )

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.feedback = db["feedback"]
        self.links = db["feedback_links"]
        self.demand_collection = db["feedback_demand"]
        self.surges = db["feedback_surges"]
        self.organisation_collection = db["organisations"]

    async def ensure_indexes(self) -> None:
        for key in ("item_ids", "customer_id", "customer_domain", "organisation_key"):
            await self.feedback.create_index(key)
        await self.links.create_index("item_id")
        await self.links.create_index("feedback_id")

    async def apply(self, events: Sequence[FeedbackReceivedV1]) -> set[str]:
        if not events:
            return set()
        operations = [
            UpdateOne(
                {"_id": e.feedback_id, "source_updated_at": {"$lte": e.source_updated_at}},
                {"$set": stored(e), "$min": {"asked_at": e.source_updated_at}},
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

    async def asked_times(self, item_id: str) -> list[datetime]:
        decided = await self.links_of(item_id)
        linked = [f for f, yes in decided.items() if yes]
        live = {"retracted": {"$ne": True}}
        wanted = {"asked_at": 1, "source_updated_at": 1}
        found = {
            d["_id"]: d
            async for d in self.feedback.find({"item_ids": item_id, **live}, projection=wanted)
        }
        if linked:
            query = {"_id": {"$in": linked}, **live}
            found.update({d["_id"]: d async for d in self.feedback.find(query, projection=wanted)})
        return sorted(
            d.get("asked_at") or d["source_updated_at"]
            for k, d in found.items()
            if decided.get(k, True)
        )

    async def items_asked_by(self, domains: Collection[str], names: Collection[str]) -> set[str]:
        # Exact matches on fields ``apply`` derives, each with its own index (no $or, no regex).
        keys = sorted({organisation_id(n) for n in names if any(c.isalnum() for c in n)})
        wanted = {"item_ids": 1}
        found: dict[str, Any] = {}
        for field, values in (("organisation_key", keys), ("customer_domain", sorted(domains))):
            if values:
                query = {field: {"$in": values}, "retracted": {"$ne": True}}
                found.update({d["_id"]: d async for d in self.feedback.find(query, wanted)})
        items = {i for d in found.values() for i in d.get("item_ids", [])}
        manual = {"feedback_id": {"$in": sorted(found)}, "linked": True}
        return items | {d["item_id"] async for d in self.links.find(manual)}

    async def last_surge(self, item_id: str) -> datetime | None:
        found = await self.surges.find_one({"_id": item_id})
        return None if found is None else found["at"]

    async def save_surge(self, item_id: str, at: datetime) -> None:
        # Guarded so a replayed older announcement never moves the episode back.
        await self.surges.update_one({"_id": item_id}, {"$max": {"at": at}}, upsert=True)

    async def demand(self, item_id: str) -> Demand | None:
        found = await self.demand_collection.find_one({"_id": item_id})
        return None if found is None else demand_of(found)

    async def save_demand(self, item_id: str, demand: Demand) -> None:
        # Nobody waiting is no document: the same whether an item was never asked for or
        # stopped being, so a rebuild from the streams matches the live collection exactly.
        if demand.customers == 0:
            await self.demand_collection.delete_one({"_id": item_id})
            return
        await self.demand_collection.update_one(
            {"_id": item_id}, {"$set": asdict(demand)}, upsert=True
        )

    async def ranked_demand(
        self, limit: int, among: Collection[str] | None = None
    ) -> list[tuple[str, Demand]]:
        query: dict[str, Any] = {"customers": {"$gt": 0}}
        if among is not None:
            query["_id"] = {"$in": sorted(among)}
        cursor = self.demand_collection.find(query)
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


def stored(event: FeedbackReceivedV1) -> dict[str, Any]:
    """The event as stored, plus the exact keys ``items_asked_by`` looks up."""
    document = event.model_dump(mode="python", exclude={"feedback_id", "subject"})
    document["customer_domain"] = email_domain(event.customer_id)
    name = event.organisation
    document["organisation_key"] = (
        organisation_id(name) if name and any(c.isalnum() for c in name) else None
    )
    return document


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
        owner=document.get("owner"),
    )
