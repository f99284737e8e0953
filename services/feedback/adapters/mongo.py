"""Feedback, manual links, demand and organisations in MongoDB; feedback upserts are guarded
by the source's own clock."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, DeleteOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from services.feedback.domain.customers import email_domain
from services.feedback.domain.demand import Demand
from services.feedback.domain.organisations import Organisation, organisation_id
from services.feedback.ports import Asked
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

    async def asked_on(self, item_ids: Collection[str]) -> dict[str, list[Asked]]:
        items = sorted(set(item_ids))
        decided: dict[str, dict[str, bool]] = {}
        async for d in self.links.find({"item_id": {"$in": items}}):
            decided.setdefault(d["item_id"], {})[d["feedback_id"]] = d["linked"]
        manual: dict[str, set[str]] = {}
        for item, choices in decided.items():
            for feedback_id in (f for f, yes in choices.items() if yes):
                manual.setdefault(feedback_id, set()).add(item)
        # Two indexed queries rather than one ``$or``, which a server may answer by scanning.
        live = {"retracted": {"$ne": True}}
        query = {"item_ids": {"$in": items}, **live}
        found = {d["_id"]: d async for d in self.feedback.find(query)}
        if manual:
            query = {"_id": {"$in": sorted(manual)}, **live}
            found.update({d["_id"]: d async for d in self.feedback.find(query)})
        asked: dict[str, list[Asked]] = {i: [] for i in items}
        for key in sorted(found):
            document = found[key]
            on = {i for i in document.get("item_ids", ()) if i in asked} | manual.get(key, set())
            targets = [i for i in sorted(on) if decided.get(i, {}).get(key, True)]
            if targets:
                piece = Asked(feedback_of(document), document.get("asked_at") or
                              document["source_updated_at"])  # fmt: skip
                for item in targets:
                    asked[item].append(piece)
        return asked

    async def feedback_on(self, item_id: str) -> list[FeedbackReceivedV1]:
        return [a.feedback for a in (await self.asked_on([item_id]))[item_id]]

    async def asked_times(self, item_id: str) -> list[datetime]:
        return sorted(a.at for a in (await self.asked_on([item_id]))[item_id])

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
        return (await self.last_surges([item_id])).get(item_id)

    async def last_surges(self, item_ids: Collection[str]) -> dict[str, datetime]:
        cursor = self.surges.find({"_id": {"$in": sorted(set(item_ids))}})
        return {d["_id"]: d["at"] async for d in cursor}

    async def save_surge(self, item_id: str, at: datetime) -> None:
        # Guarded so a replayed older announcement never moves the episode back.
        await self.surges.update_one({"_id": item_id}, {"$max": {"at": at}}, upsert=True)

    async def demand(self, item_id: str) -> Demand | None:
        return (await self.demands([item_id])).get(item_id)

    async def demands(self, item_ids: Collection[str]) -> dict[str, Demand]:
        cursor = self.demand_collection.find({"_id": {"$in": sorted(set(item_ids))}})
        return {d["_id"]: demand_of(d) async for d in cursor}

    async def save_demand(self, item_id: str, demand: Demand) -> None:
        await self.save_demands({item_id: demand})

    async def save_demands(self, demands: Mapping[str, Demand]) -> None:
        # Nobody waiting is no document: the same whether an item was never asked for or
        # stopped being, so a rebuild from the streams matches the live collection exactly.
        operations: list[UpdateOne | DeleteOne] = [
            DeleteOne({"_id": item_id})
            if demand.customers == 0
            else UpdateOne({"_id": item_id}, {"$set": asdict(demand)}, upsert=True)
            for item_id, demand in sorted(demands.items())
        ]
        if operations:
            await self.demand_collection.bulk_write(operations, ordered=False)

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
