"""One scheduler replica leads: it owns the in-memory portfolio, the work consumers and the
schedule; the others serve the read API (which reads MongoDB) and stand by.

The engine is incremental and in memory, so the replica that applies work events must see
all of them. Replicas sharing one durable consumer would each see a part and drift apart, so
a lease decides who consumes. A replica that takes the lease reloads the portfolio from the
projections and reconciles before consuming, which also announces anything a crashed leader
projected but never published. During a takeover race two replicas may briefly both work;
projections are guarded and announcements carry deterministic ids, so that costs at most a
duplicate notification, never a wrong projection.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from services.scheduler.ports import Lease
from shared.telemetry import log_fields

logger = logging.getLogger(__name__)
LEASE_NAME = "scheduler-leader"

Hook = Callable[[], Awaitable[None]]


class Leadership:
    def __init__(
        self, lease: Lease, holder: str, ttl_seconds: float, on_gain: Hook, on_lose: Hook
    ) -> None:
        self.lease = lease
        self.holder = holder
        self.ttl = ttl_seconds
        self.on_gain = on_gain
        self.on_lose = on_lose
        self.leading = False
        self._task: asyncio.Task[None] | None = None

    async def step(self, now: datetime) -> bool:
        """Take or renew the lease and act on a change of role; return whether we lead."""
        held = await self.lease.acquire(LEASE_NAME, self.holder, self.ttl, now)
        if held and not self.leading:
            logger.info("leading", extra=log_fields(holder=self.holder))
            await self.on_gain()
            self.leading = True
        elif not held and self.leading:
            logger.warning("lost the lead", extra=log_fields(holder=self.holder))
            self.leading = False
            await self.on_lose()
        return self.leading

    async def _run(self) -> None:
        # Renewing three times per lease lifetime survives one slow round trip.
        while True:
            try:
                await self.step(datetime.now(UTC))
            except Exception:
                logger.exception("leadership step failed")
            await asyncio.sleep(self.ttl / 3)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="scheduler-leadership")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self.leading:
            self.leading = False
            await self.on_lose()
            # Hand over now rather than make a standby wait out the lease.
            await self.lease.release(LEASE_NAME, self.holder)
