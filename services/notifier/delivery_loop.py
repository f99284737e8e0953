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
from typing import Any

from services.notifier.outbox_worker import OutboxWorker
from services.notifier.report_runs import ReportRuns

logger = logging.getLogger(__name__)
SETTLE_ON_STOP_SECONDS = 5.0


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
        self.woken = asyncio.Event()

    def wake(self) -> None:
        """Something is due now (a message was recorded): tick at once, not at the next poll.

        The poll stays for what only time makes due (digest windows, retries, another
        replica's messages); waiting up to a whole interval for a fresh message was most of a
        notification's latency.
        """
        self.woken.set()

    def hand(self, messages: list[dict[str, Any]]) -> None:
        """Messages recorded already claimed for this process: sent by the next tick, now."""
        if messages:
            self.worker.hand(messages)
            self.wake()

    async def start(self) -> None:
        self.task = asyncio.create_task(self.run(), name="notifier delivery loop")

    async def run(self) -> None:
        while True:
            # Cleared before the tick, so a message recorded during it gets a tick of its own.
            self.woken.clear()
            try:
                if self.reports is not None:
                    await self.reports.tick(self.clock())
                await self.worker.send_due(self.clock())
            except Exception:
                # A failed tick (Mongo away) is retried on the next one; nothing is lost.
                logger.exception("delivery tick failed")
            else:
                if self.worker.backlog:
                    continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.woken.wait(), self.interval)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        # The last sends' outcomes, briefly: what is not stored by then is sent again under
        # the same id once its lease runs out, as after a crash.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.worker.settled(), SETTLE_ON_STOP_SECONDS)
