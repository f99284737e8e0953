"""Time-driven re-checks: items become overdue or stale as days pass, with no event at all.

Several replicas may run; a lease makes exactly one of them run the schedule at a time.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import UTC, datetime

from services.scheduler.announcer import RiskAnnouncer
from services.scheduler.ports import Lease
from shared.concurrency import Periodic

logger = logging.getLogger(__name__)
LEASE_NAME = "scheduler-recheck"


def holder_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


class RecheckTimer:
    def __init__(
        self,
        announcer: RiskAnnouncer,
        lease: Lease,
        interval: float,
        lease_ttl: float,
        holder: str | None = None,
    ) -> None:
        self.announcer = announcer
        self.lease = lease
        self.interval = interval
        self.lease_ttl = max(lease_ttl, interval * 2)
        self.holder = holder or holder_id()
        self.rounds = Periodic(
            "risk re-check", lambda: self.tick(datetime.now(UTC)), interval, logger
        )

    async def tick(self, now: datetime) -> int | None:
        """Run one re-check if this replica holds the lease; None when another one does.

        Returns how many items changed. Holding the lease for ``ttl`` (at least two intervals)
        and renewing it every tick keeps one replica on the schedule; if it dies, another
        takes over once the lease has expired.
        """
        if not await self.lease.acquire(LEASE_NAME, self.holder, self.lease_ttl, now):
            return None
        live = self.announcer.live

        async def recompute() -> None:
            live.portfolio.reassess(now.date())

        async with live.lock:
            return await self.announcer.reassess("recheck", recompute, lambda _: None, now)

    async def start(self) -> None:
        await self.rounds.start()

    async def stop(self) -> None:
        await self.rounds.stop()
