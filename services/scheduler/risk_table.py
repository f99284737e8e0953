"""The risk table read in rank order from any row on, span by span between the stored marks."""

from __future__ import annotations

import math
from typing import Any

from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.scheduler.adapters.rank_marks import MongoRankMarks
from services.scheduler.rank_marks import Key, Start, next_mark, span

# The risk table's order; ``ensure_indexes`` gives each filter an index ending in it.
RANK = [("score", DESCENDING), ("_id", 1)]


class RiskTable:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.assessments: AsyncCollection[dict[str, Any]] = db["assessments"]
        self.marks = MongoRankMarks(db)

    async def rows(
        self, filters: dict[str, Any], after: Key | None, wanted: int
    ) -> list[dict[str, Any]]:
        """The first ``wanted`` rows matching ``filters`` ranked after ``after`` (or from the top).

        A first span covers as many marks as ``wanted`` rows would fill unfiltered; each span
        that falls short covers twice as many as the last, so a filter that matches few rows
        costs a few doublings, not a range per mark.
        """
        marks, every = await self.marks.read()
        start = Start(after)
        mark = next_mark(marks, after)
        found: list[dict[str, Any]] = []
        reach = math.ceil(wanted / every)
        while True:
            last = mark + reach - 1
            end = marks[last] if last < len(marks) else None
            for condition in span(start, end):
                found += await self._in_rank_order({**filters, **condition}, wanted - len(found))
                if len(found) >= wanted:
                    return found
            if end is None:
                return found
            start, mark = Start(end, inclusive=True), last + 1
            reach = max(2 * reach, math.ceil((wanted - len(found)) / every))

    async def _in_rank_order(self, query: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        return [d async for d in self.assessments.find(query).sort(RANK).limit(limit)]
