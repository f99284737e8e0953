"""Read side: the risk table, one item with its chain, a release, straight from the projections.

Views read MongoDB, never the in-memory portfolio, so every replica answers the same; what
they derive (the whole chain, a release's forecast and the items threatening it, its slip)
comes from the same domain functions the engine uses, applied to the stored documents.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from services.scheduler.domain.dates import NO_DATE, day_of, ordinal
from services.scheduler.domain.explanation import continue_chain, first_links
from services.scheduler.domain.forecast import slip
from services.scheduler.domain.reasons.release_at_risk import outlook

NOT_REMOVED = {"removed": {"$ne": True}}


def day(moment: datetime | None) -> str | None:
    return None if moment is None else moment.date().isoformat()


def day_ordinal(moment: datetime | None) -> int:
    return ordinal(None if moment is None else moment.date())


def risk_row(document: dict[str, Any]) -> dict[str, Any]:
    return {
        "item_id": document["_id"],
        "title": document.get("title"),
        "level": document.get("level"),
        "score": document.get("score"),
        "slip_days": document.get("slip_days"),
        "target": day(document.get("target")),
        "forecast": day(document.get("forecast")),
        "team": document.get("team"),
        "owner": document.get("owner"),
        "release_id": document.get("release_id"),
        "reasons": document.get("reasons", []),
        "chain": document.get("chain", []),
    }


def chain_member(item_id: str, assessment: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "title": item.get("title"),
        "team": item.get("team"),
        "status": item.get("status"),
        "level": assessment.get("level"),
        "target": day(assessment.get("target")),
        "forecast": day(assessment.get("forecast")),
        "slip_days": assessment.get("slip_days"),
        "url": item.get("url"),
    }


class RiskViews:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.assessments = db["assessments"]
        self.items = db["items"]
        self.releases = db["releases"]

    async def ranked(self, filters: dict[str, str], limit: int) -> list[dict[str, Any]]:
        cursor = (
            self.assessments.find(filters).sort([("score", DESCENDING), ("_id", 1)]).limit(limit)
        )
        return [risk_row(document) async for document in cursor]

    async def by_id(self, name: str, ids: list[str]) -> dict[str, dict[str, Any]]:
        collection = self.assessments if name == "assessments" else self.items
        return {d["_id"]: d async for d in collection.find({"_id": {"$in": ids}})}

    async def full_chain(self, assessment: dict[str, Any]) -> list[str]:
        """Stored chains stop at the policy's limit; each member's own chain continues it."""
        chain = first_links(assessment["_id"], assessment.get("chain") or ())
        while len(chain) > 1:
            last = await self.assessments.find_one({"_id": chain[-1]}, {"chain": 1})
            if not continue_chain(chain, [] if last is None else last.get("chain", [])):
                break
        return chain

    async def one(self, item_id: str) -> dict[str, Any] | None:
        """The item, its assessment, and the explanation: its critical chain, member by member."""
        item = await self.items.find_one({"_id": item_id, **NOT_REMOVED})
        if item is None:
            return None
        assessment = await self.assessments.find_one({"_id": item_id}) or {"_id": item_id}
        chain = await self.full_chain(assessment)
        assessments = await self.by_id("assessments", chain)
        items = await self.by_id("items", chain)
        explanation = [
            chain_member(i, assessments.get(i, {}), items.get(i, {})) for i in chain if i in items
        ]
        return {
            **risk_row({**item, **assessment}),
            "status": item.get("status"),
            "start": day(item.get("start")),
            "url": item.get("url"),
            "chain": chain,
            "explanation": explanation,
        }

    async def release(self, release_id: str) -> dict[str, Any] | None:
        """Its due date, its forecast (latest among its items) and the items past the due date."""
        release = await self.releases.find_one({"_id": release_id})
        members = [
            d
            async for d in self.assessments.find({"release_id": release_id}).sort(
                [("score", DESCENDING), ("_id", 1)]
            )
        ]
        if release is None and not members:
            return None
        release = release or {}
        # As the engine's ReleaseBook: only an open release has a due date to be late for.
        due = day_ordinal(release.get("due")) if release.get("state", "open") == "open" else NO_DATE
        latest, late = outlook(due, {d["_id"]: day_ordinal(d.get("forecast")) for d in members})
        threatened = frozenset(late)
        threatening = [risk_row(d) for d in members if d["_id"] in threatened]
        forecast = day_of(latest)
        return {
            "release_id": release_id,
            "name": release.get("name"),
            "state": release.get("state"),
            "team": release.get("team"),
            "url": release.get("url"),
            "due": day(release.get("due")),
            "forecast": None if forecast is None else forecast.isoformat(),
            "slip_days": slip(latest, due),
            "items": len(members),
            "threatening": threatening,
        }
