"""Feedback, manual links, demand and organisations in MongoDB; feedback upserts are guarded
by the source's own clock."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Collection, Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, DeleteOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from services.feedback.adapters.tallies import TallyChanges, asked_of
from services.feedback.domain.counting import counted_on
from services.feedback.domain.customers import email_domain
from services.feedback.domain.demand import Demand
from services.feedback.domain.organisations import Organisation, organisation_id
from services.feedback.ports import Asked
from shared.events import FeedbackReceivedV1
from shared.mongo import save_whole, write_new_or_guarded


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
        "feedback_tallies",
        "organisations",
    )

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.feedback = db["feedback"]
        self.links = db["feedback_links"]
        self.demand_collection = db["feedback_demand"]
        self.surges = db["feedback_surges"]
        self.tallies = db["feedback_tallies"]
        self.organisation_collection = db["organisations"]

    async def ensure_indexes(self) -> None:
        for key in ("item_ids", "customer_id", "customer_domain", "organisation_key"):
            await self.feedback.create_index(key)
        await self.links.create_index("item_id")
        await self.links.create_index("feedback_id")

    async def apply(self, events: Sequence[FeedbackReceivedV1]) -> set[str]:
        if not events:
            return set()
        ids = sorted({e.feedback_id for e in events})
        wanted = {"item_ids": 1, "ever_on": 1, "asked_at": 1}
        cursor = self.feedback.find({"_id": {"$in": ids}}, projection=wanted)
        previous = {doc["_id"]: doc async for doc in cursor}
        decisions = await self.decisions_on(ids)
        applied = await self.write(events, previous)
        changes = TallyChanges()
        touched: set[str] = set()
        for feedback_id, versions in applied.items():
            before = previous.get(feedback_id, {})
            last = versions[-1]
            decided = decisions.get(feedback_id, {})
            # Every item the tally could hold this piece on: each the piece ever named (a
            # crash between this write and the tally's leaves the tally a version behind),
            # and each a person decided on.
            candidates = {
                *before.get("ever_on", before.get("item_ids", ())),
                *(i for v in versions for i in v.item_ids),
                *decided,
            }
            counting = counted_on(last.item_ids, last.retracted, decided)
            # As the writes' ``$min``: a version applies only if no older one is stored.
            at = before.get("asked_at") or min(v.source_updated_at for v in versions)
            changes.counts(feedback_id, last, at, counting)
            changes.stops(feedback_id, candidates - counting)
            touched |= candidates
        await self.save_tallies(changes)
        return touched

    async def write(
        self, events: Sequence[FeedbackReceivedV1], previous: Collection[str]
    ) -> dict[str, list[FeedbackReceivedV1]]:
        """Store each version unless a newer one is; per feedback, the versions applied, in
        the order the server applied them (the last is what is stored now).

        Feedback not stored before is inserted (most is new, and this collection's four
        indexes make a guarded upsert six times an insert on the embedded server).
        """
        writes = [
            (None if e.feedback_id in previous else first_version(e), guarded_version(e))
            for e in events
        ]
        applied: dict[str, list[FeedbackReceivedV1]] = {}
        for n in await write_new_or_guarded(self.feedback, writes):
            applied.setdefault(events[n].feedback_id, []).append(events[n])
        return applied

    async def decisions_on(
        self, feedback_ids: Collection[str] | None
    ) -> dict[str, dict[str, bool]]:
        """Per feedback (of these, or all), what people decided: item id -> linked or not."""
        query = {} if feedback_ids is None else {"feedback_id": {"$in": sorted(feedback_ids)}}
        decided: dict[str, dict[str, bool]] = {}
        async for d in self.links.find(query):
            decided.setdefault(d["feedback_id"], {})[d["item_id"]] = d["linked"]
        return decided

    async def save_tallies(self, changes: TallyChanges) -> None:
        updates = [UpdateOne({"_id": i}, u, upsert=new) for i, u, new in changes.updates()]
        if updates:
            await self.tallies.bulk_write(updates, ordered=False)
        emptied = [DeleteOne({"_id": i, "pieces": {}}) for i in changes.may_empty()]
        if emptied:
            await self.tallies.bulk_write(emptied, ordered=False)

    async def backfill_tallies(self) -> int:
        """Tally feedback stored before tallies existed; the number of pieces tallied.

        Runs at start-up and does anything only while no tally exists but feedback does:
        without it, the first update after an upgrade would weigh every item from nothing.
        """
        if await self.tallies.find_one({}) or not await self.feedback.find_one({}):
            return 0
        decided = await self.decisions_on(None)
        changes, pieces = TallyChanges(), 0
        async for document in self.feedback.find({"retracted": {"$ne": True}}):
            piece = feedback_of(document)
            on = counted_on(piece.item_ids, False, decided.get(piece.feedback_id, {}))
            changes.counts(piece.feedback_id, piece, first_asked(document), on)
            pieces += bool(on)
        await self.save_tallies(changes)
        return pieces

    async def links_of(self, item_id: str) -> dict[str, bool]:
        cursor = self.links.find({"item_id": item_id})
        return {d["feedback_id"]: d["linked"] async for d in cursor}

    async def asked_on(self, item_ids: Collection[str]) -> dict[str, list[Asked]]:
        items = sorted(set(item_ids))
        found = {d["_id"]: d async for d in self.tallies.find({"_id": {"$in": items}})}
        return {i: asked_of(found[i]) if i in found else [] for i in items}

    async def feedback_on(self, item_id: str) -> list[FeedbackReceivedV1]:
        """The whole of each live piece on the item, for showing it (weighing reads the tally)."""
        decided = await self.links_of(item_id)
        # Two indexed queries rather than one ``$or``, which a server may answer by scanning.
        live = {"retracted": {"$ne": True}}
        found = {d["_id"]: d async for d in self.feedback.find({"item_ids": item_id, **live})}
        manual = sorted(f for f, linked in decided.items() if linked)
        if manual:
            query = {"_id": {"$in": manual}, **live}
            found.update({d["_id"]: d async for d in self.feedback.find(query)})

        def counts_here(piece: FeedbackReceivedV1) -> bool:
            fid = piece.feedback_id
            decision = {item_id: decided[fid]} if fid in decided else {}
            return item_id in counted_on(piece.item_ids, piece.retracted, decision)

        return [p for p in (feedback_of(found[k]) for k in sorted(found)) if counts_here(p)]

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
        found = await self.feedback.find_one({"_id": feedback_id})
        changes = TallyChanges()
        if found is None:
            changes.stops(feedback_id, [item_id])
        else:
            piece = feedback_of(found)
            if item_id in counted_on(piece.item_ids, piece.retracted, {item_id: linked}):
                changes.counts(feedback_id, piece, first_asked(found), [item_id])
            else:
                changes.stops(feedback_id, [item_id])
        await self.save_tallies(changes)

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
        await self.save_demands({item_id: demand}, known=[item_id])

    async def save_demands(
        self, demands: Mapping[str, Demand], known: Collection[str] = ()
    ) -> None:
        # Nobody waiting is no document: the same whether an item was never asked for or
        # stopped being, so a rebuild from the streams matches the live collection exactly.
        gone = [DeleteOne({"_id": i}) for i, d in sorted(demands.items()) if d.customers == 0]
        kept = [{"_id": i, **asdict(d)} for i, d in sorted(demands.items()) if d.customers]
        writes: list[Awaitable[object]] = [
            save_whole(self.demand_collection, [d for d in kept if d["_id"] in known]),
            save_whole(
                self.demand_collection, [d for d in kept if d["_id"] not in known], fresh=True
            ),
        ]
        if gone:
            writes.append(self.demand_collection.bulk_write(gone, ordered=False))
        await asyncio.gather(*writes)

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


def first_version(event: FeedbackReceivedV1) -> dict[str, Any]:
    """The document ``guarded_version`` makes when nothing is stored under the id."""
    return {"_id": event.feedback_id, **stored(event), "asked_at": event.source_updated_at,
            "ever_on": list(dict.fromkeys(event.item_ids))}  # fmt: skip


def guarded_version(event: FeedbackReceivedV1) -> UpdateOne:
    # ``ever_on``: every item any version named, so a tally left a version behind by a crash
    # is still found and mended.
    return UpdateOne(
        {"_id": event.feedback_id, "source_updated_at": {"$lte": event.source_updated_at}},
        {
            "$set": stored(event),
            "$min": {"asked_at": event.source_updated_at},
            "$addToSet": {"ever_on": {"$each": list(event.item_ids)}},
        },
        upsert=True,
    )


def first_asked(document: Mapping[str, Any]) -> datetime:
    # Feedback stored before ``asked_at`` was kept counts from its own clock.
    at: datetime = document.get("asked_at") or document["source_updated_at"]
    return at


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
