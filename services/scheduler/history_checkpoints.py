"""Checkpoints of risk history, so reading it at an instant costs its items, not its length.

What was at risk at ``t`` is each item's last entry at or before ``t``. Read from the entries
alone that is a pass over all of history before ``t``, growing for as long as history is kept.
A checkpoint at a boundary ``B`` (every ``period_days``, counted from the epoch in UTC) holds
each item's last entry at ``B``; the answer at ``t`` is the latest checkpoint at or before ``t``
plus the entries after it: one entry per item and at most one period's changes.

A period's checkpoint is built once the period is over and an announcing pass runs (``catch_up``
after each commit), from the previous checkpoint and the period's entries, so building costs the
same bound. Entries are recorded by the one leader as it announces them, in time order, so every
entry before a boundary is stored by then. A period without entries gets no checkpoint: the one
before still answers, with nothing after it until the next entries. A checkpoint is written in
parts of ``PART`` entries and then marked complete; the reader only uses complete ones whose
parts are all there (the TTL may remove a marker and its parts at slightly different times), and
otherwise reads the entries as before. Rebuild replays history, then catches up from the start.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReplaceOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure

from services.scheduler.history import latest_per_item
from shared.telemetry import log_fields

logger = logging.getLogger(__name__)

Document = dict[str, Any]
PART = 1_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CHECKPOINTS = "assessment_history_checkpoints"


def boundary_at_or_after(moment: datetime, period: timedelta) -> datetime:
    """The first checkpoint boundary at or after ``moment``."""
    periods = -((EPOCH - moment) // period)  # ceiling division of timedeltas
    return EPOCH + periods * period


def parts_of(boundary: datetime, entries: list[Document]) -> list[Document]:
    """The checkpoint's documents: its parts, then the marker that says all are written."""
    key = boundary.isoformat()
    parts = [
        {"_id": f"{key}#{n:05d}", "at": boundary, "entries": entries[start : start + PART]}
        for n, start in enumerate(range(0, len(entries), PART))
    ]
    return [*parts, {"_id": key, "at": boundary, "complete": True, "parts": len(parts)}]


def _log_failure(task: asyncio.Task[int]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("risk history checkpoint failed", exc_info=task.exception())


async def ensure_checkpoint_indexes(db: AsyncDatabase[Document], retention_days: int) -> None:
    """Markers by time, and the same retention as the history they summarise."""
    checkpoints = db["assessment_history_checkpoints"]
    await checkpoints.create_index([("complete", ASCENDING), ("at", DESCENDING)])
    ttl = retention_days * 86400
    try:
        await checkpoints.create_index("at", name="at_ttl", expireAfterSeconds=ttl)
    except OperationFailure:
        await checkpoints.drop_index("at_ttl")
        await checkpoints.create_index("at", name="at_ttl", expireAfterSeconds=ttl)


class HistoryCheckpoints:
    def __init__(self, db: AsyncDatabase[Document], period_days: int = 7) -> None:
        self.history = db["assessment_history"]
        self.checkpoints = db["assessment_history_checkpoints"]
        self.period = timedelta(days=period_days)
        # No checkpoint can be due before this instant (the end of the period last checked).
        self._quiet_until: datetime | None = None
        self._task: asyncio.Task[int] | None = None

    def nudge(self, now: datetime) -> None:
        """Catch up in the background: the first one after a swap reads all of history, and an
        announcing pass must not wait for that. A failure is logged and retried next time."""
        if self._quiet_until is not None and now <= self._quiet_until:
            return
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.catch_up(now), name="history-checkpoints")
            self._task.add_done_callback(_log_failure)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def marker(self, instant: datetime) -> Document | None:
        query = {"complete": True, "at": {"$lte": instant}}
        return await self.checkpoints.find_one(query, sort=[("at", DESCENDING)])

    async def entries_of(self, marker: Document | None) -> list[Document] | None:
        """A checkpoint's entries; None when it is missing a part."""
        if marker is None:
            return None
        query = {"at": marker["at"], "entries": {"$exists": True}}
        parts = await self.checkpoints.find(query).to_list()
        if len(parts) != marker["parts"]:
            return None
        return [entry for part in parts for entry in part["entries"]]

    async def latest(self, instant: datetime) -> tuple[datetime | None, list[Document]]:
        """The latest whole checkpoint at or before ``instant`` and its entries (or none)."""
        marker = await self.marker(instant)
        entries = await self.entries_of(marker)
        if marker is None or entries is None:
            return None, []
        return marker["at"], entries

    async def entries_at(self, instant: datetime) -> list[Document]:
        """Each item's last entry at or before ``instant``, ranked as ``latest_per_item``."""
        since, base = await self.latest(instant)
        window: Document = {"$lte": instant} if since is None else {"$gt": since, "$lte": instant}
        newer = await self.history.find({"at": window}).to_list()
        return latest_per_item([*base, *newer], instant)

    async def catch_up(self, now: datetime) -> int:
        """Build the checkpoints of every period with entries that is over by ``now``.

        Period by period from the latest checkpoint, one range read of the index on ``at``
        each (a quiet period costs just that); with no checkpoint yet, from the first entry.
        """
        if self._quiet_until is not None and now <= self._quiet_until:
            return 0
        marker = await self.marker(now)
        base = await self.entries_of(marker)
        since = None if marker is None or base is None else marker["at"]
        if since is None:
            first = await self.history.find_one({}, sort=[("at", ASCENDING)])
            start = now if first is None else first["at"]
        else:
            start = since + self.period
        boundary, built = boundary_at_or_after(start, self.period), 0
        while boundary < now:
            window: Document = {"$lte": boundary}
            if since is not None:
                window["$gt"] = since
            newer = await self.history.find({"at": window}).to_list()
            if newer:
                base = await self.build(boundary, base or [], newer)
                since, built = boundary, built + 1
            boundary += self.period
        self._quiet_until = boundary
        return built

    async def build(
        self, boundary: datetime, base: list[Document], newer: list[Document]
    ) -> list[Document]:
        """Store the checkpoint at ``boundary``: ``base`` moved on by the ``newer`` entries."""
        entries = latest_per_item([*base, *newer], boundary)
        documents = parts_of(boundary, entries)
        await self.checkpoints.bulk_write(
            # In order: the marker, last, must not be seen before its parts.
            [ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in documents],
            ordered=True,
        )
        logger.info(
            "risk history checkpoint",
            extra=log_fields(at=boundary.isoformat(), items=len(entries), entries=len(newer)),
        )
        return entries
