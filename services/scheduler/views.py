"""Read side: the risk table and single assessments, straight from the projections."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import DESCENDING
from pymongo.asynchronous.database import AsyncDatabase


def _day(moment: datetime | None) -> str | None:
    return None if moment is None else moment.date().isoformat()


def risk_row(document: dict[str, Any]) -> dict[str, Any]:
    return {
        "item_id": document["_id"],
        "title": document.get("title"),
        "level": document.get("level"),
        "score": document.get("score"),
        "slip_days": document.get("slip_days"),
        "target": _day(document.get("target")),
        "forecast": _day(document.get("forecast")),
        "team": document.get("team"),
        "owner": document.get("owner"),
        "release_id": document.get("release_id"),
        "reasons": document.get("reasons", []),
        "chain": document.get("chain", []),
    }


class RiskViews:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.assessments = db["assessments"]

    async def ranked(self, filters: dict[str, str], limit: int) -> list[dict[str, Any]]:
        cursor = (
            self.assessments.find(filters).sort([("score", DESCENDING), ("_id", 1)]).limit(limit)
        )
        return [risk_row(document) async for document in cursor]

    async def one(self, item_id: str) -> dict[str, Any] | None:
        document = await self.assessments.find_one({"_id": item_id})
        return None if document is None else risk_row(document)
