"""Read side of risk history: the table as it stood at an instant, and one item's timeline.

History entries name no release (the event carries none), so each is placed in the release its
item belongs to now, from the current assessments; that is also how ``release`` filters apply.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.scheduler.documents import stored_reasons
from services.scheduler.history import matches
from services.scheduler.history_checkpoints import HistoryCheckpoints
from services.scheduler.views import day, risk_row


def history_row(entry: dict[str, Any], release_id: str | None) -> dict[str, Any]:
    row = risk_row({**entry, "_id": entry["item_id"], "release_id": release_id})
    return {**row, "at": entry["at"].isoformat(), "previous_level": entry.get("previous_level")}


class HistoryViews:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.history = db["assessment_history"]
        self.assessments = db["assessments"]
        self.items = db["items"]
        self.checkpoints = HistoryCheckpoints(db)

    async def known(self, item_id: str) -> bool:
        """Projected at some time (removed items keep their history)."""
        return await self.items.find_one({"_id": item_id}, {"_id": 1}) is not None

    async def releases_of(self) -> dict[str, str | None]:
        cursor = self.assessments.find({}, {"release_id": 1})
        return {d["_id"]: d.get("release_id") async for d in cursor}

    async def as_of(
        self, filters: dict[str, str], instant: datetime, limit: int
    ) -> list[dict[str, Any]]:
        """What ``/risk`` would have answered at ``instant`` (filters apply to that answer).

        From the latest checkpoint before it and the entries since (``history_checkpoints``).
        """
        releases = await self.releases_of()
        rows = [
            history_row(entry, releases.get(entry["item_id"]))
            for entry in await self.checkpoints.entries_at(instant)
        ]
        return [row for row in rows if matches(row, filters)][:limit]

    async def of_item(self, item_id: str) -> list[dict[str, Any]]:
        """Every kept assessment of the item, oldest first."""
        cursor = self.history.find({"item_id": item_id}).sort([("at", 1), ("_id", 1)])
        return [
            {
                "at": d["at"].isoformat(),
                "level": d.get("level"),
                "previous_level": d.get("previous_level"),
                "score": d.get("score"),
                "slip_days": d.get("slip_days"),
                "target": day(d.get("target")),
                "forecast": day(d.get("forecast")),
                "reasons": stored_reasons(d),
                "chain": d.get("chain", []),
            }
            async for d in cursor
        ]
