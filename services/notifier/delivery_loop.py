"""Polls the outbox worker on an interval; the timers live in MongoDB, not in this task.

Sleeping here holds no consumer and loses nothing when the process dies: every due message
and window is found again by the next tick of any replica.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from services.notifier.outbox_worker import OutboxWorker
from services.notifier.report_runs import ReportRuns

logger = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


class DeliveryLoop:
    def __init__(
        self,
        worker: OutboxWorker,
        interval: float,
        clock: Callable[[], datetime] = utc_now,
        reports: ReportRuns | None = None,
    ) -> None:
        self.worker = worker
        self.reports = reports
        self.interval = interval
        self.clock = clock
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(self.run(), name="notifier delivery loop")

    async def run(self) -> None:
        while True:
            try:
                if self.reports is not None:
                    await self.reports.tick(self.clock())
                await self.worker.tick(self.clock())
            except Exception:
                # A failed tick (Mongo away) is retried on the next one; nothing is lost.
                logger.exception("delivery tick failed")
            await asyncio.sleep(self.interval)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
