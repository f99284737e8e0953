"""Time-driven re-checks: items become overdue or stale as days pass, with no event at all.

Several replicas may run; a lease makes exactly one of them run the schedule at a time.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from datetime import UTC, datetime

from services.scheduler.handlers import persist, risk_changed
from services.scheduler.ports import AssessmentStore, Lease
from services.scheduler.state import LivePortfolio
from shared.publishing import EventPublisher
from shared.telemetry import Telemetry, log_fields

logger = logging.getLogger(__name__)
LEASE_NAME = "scheduler-recheck"


def holder_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


class RecheckTimer:
    def __init__(
        self,
        live: LivePortfolio,
        assessments: AssessmentStore,
        lease: Lease,
        publisher: EventPublisher,
        telemetry: Telemetry,
        interval: float,
        lease_ttl: float,
    ) -> None:
        self.live = live
        self.assessments = assessments
        self.lease = lease
        self.publisher = publisher
        self.telemetry = telemetry
        self.interval = interval
        self.lease_ttl = max(lease_ttl, interval * 2)
        self.holder = holder_id()
        self._task: asyncio.Task[None] | None = None

    async def tick(self, now: datetime) -> int:
        """Run one re-check if this replica holds the lease; return how many items changed."""
        if not await self.lease.acquire(LEASE_NAME, self.holder, self.lease_ttl, now):
            return 0
        with self.telemetry.tracer.start_as_current_span("recheck risk") as span:
            async with self.live.lock:
                changes = self.live.portfolio.recheck(now.date())
                await persist(changes, self.live.portfolio, self.assessments)
                cause = f"recheck:{now.date().isoformat()}"
                events = [risk_changed(c, self.live.portfolio, cause, now) for c in changes]
            for event in events:
                await self.publisher.publish(event)
            span.set_attribute("slipstream.risk.changes", len(events))
        if events:
            logger.info("re-check changed risk", extra=log_fields(changes=len(events)))
        return len(events)

    async def _run(self) -> None:
        while True:
            try:
                await self.tick(datetime.now(UTC))
            except Exception:
                # A failed tick is retried at the next interval; the loop must not die.
                logger.exception("re-check failed")
            await asyncio.sleep(self.interval)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="risk-recheck")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
