"""Keeps the risk table's marks (``rank_marks``) near the stored assessments, on the leader.

Marks never decide which rows a page shows, only how narrowly it is read, so they are
refreshed now and then rather than with every commit: 6,000 rows arriving between two
refreshes of 100,000 add a few rows to each span.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from services.scheduler.mirror import AssessmentMirror
from services.scheduler.ports import RankMarksStore
from services.scheduler.rank_marks import Key, every_for, marks
from shared.concurrency import Periodic
from shared.telemetry import log_fields

logger = logging.getLogger(__name__)


def marks_of(stored: tuple[tuple[str, dict[str, Any]], ...]) -> tuple[list[Key], int]:
    every = every_for(len(stored))
    return marks(((d.get("score", 0.0), i) for i, d in stored), every), every


class MarksKeeper:
    def __init__(
        self,
        mirror: AssessmentMirror,
        store: RankMarksStore,
        interval: float,
        clock: Callable[[], datetime],
    ) -> None:
        self.mirror = mirror
        self.store = store
        self.interval = interval
        self.clock = clock
        self.written_at_revision: int | None = None
        # Pages still read every row while marks are stale, only less narrowly.
        self.rounds = Periodic("writing the risk table's marks", self.refresh, interval, logger)

    async def refresh(self) -> bool:
        """Write marks for the assessments as the mirror holds them, unless already written."""
        revision = self.mirror.revision
        if revision == self.written_at_revision:
            return False
        began = time.perf_counter()
        # tuple() copies in one step under the GIL; the sort (0.1 s at 100,000) runs off the
        # loop while commits go on changing the dict.
        stored = tuple(self.mirror.stored.items())
        found, every = await asyncio.to_thread(marks_of, stored)
        await self.store.write(found, every, len(stored), self.clock())
        self.written_at_revision = revision
        logger.info(
            "risk table marks written",
            extra=log_fields(
                marks=len(found), rows=len(stored), seconds=round(time.perf_counter() - began, 3)
            ),
        )
        return True

    async def start(self) -> None:
        await self.rounds.start()

    async def stop(self) -> None:
        await self.rounds.stop()
