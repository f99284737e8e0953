"""The risk table's marks (``services.scheduler.rank_marks``) as one MongoDB document."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.scheduler.rank_marks import EVERY, Key

MARKS_ID = "assessments"


class MongoRankMarks:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.collection = db["risk_marks"]

    async def read(self) -> tuple[list[Key], int]:
        """The stored marks and how many rows each covered; none before the first write."""
        document = await self.collection.find_one({"_id": MARKS_ID})
        if document is None:
            return [], EVERY
        # Two flat arrays decode faster than one array of pairs.
        return list(zip(document["scores"], document["ids"], strict=True)), document["every"]

    async def write(self, marks: Sequence[Key], every: int, rows: int, now: datetime) -> None:
        document = {
            "scores": [score for score, _ in marks],
            "ids": [item_id for _, item_id in marks],
            "every": every,
            "rows": rows,
            "at": now,
        }
        await self.collection.replace_one({"_id": MARKS_ID}, document, upsert=True)
