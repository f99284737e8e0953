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
from shared.http import NotReady
from shared.telemetry import log_fields

logger = logging.getLogger(__name__)
LEASE_NAME = "scheduler-leader"

Hook = Callable[[], Awaitable[None]]
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Leadership:
    def __init__(
        self,
        lease: Lease,
        holder: str,
        ttl_seconds: float,
        on_gain: Hook,
        on_lose: Hook,
        clock: Clock = utc_now,
        renew_every: float | None = None,
    ) -> None:
        self.lease = lease
        self.holder = holder
        self.ttl = ttl_seconds
        self.on_gain = on_gain
        self.on_lose = on_lose
        self.clock = clock
        # Renewing three times per lease lifetime survives one slow round trip.
        self.renew_every = ttl_seconds / 3 if renew_every is None else renew_every
        self.leading = False
        # What /readyz says while this replica is not (yet) doing its job.
        self.not_ready: str | None = "deciding whether to lead"
        self._gaining = False
        self._task: asyncio.Task[None] | None = None

    async def step(self, now: datetime) -> bool:
        """Take or renew the lease and act on a change of role; return whether we lead."""
        held = await self.lease.acquire(LEASE_NAME, self.holder, self.ttl, now)
        if held and not self.leading:
            logger.info("leading", extra=log_fields(holder=self.holder))
            self.leading = await self._take_the_lead()
        elif not held and self.leading:
            logger.warning("lost the lead", extra=log_fields(holder=self.holder))
            self.leading = False
            await self.on_lose()
        if not held:
            self.not_ready = None  # a standby's job is serving reads
        return self.leading

    async def _take_the_lead(self) -> bool:
        """Run ``on_gain`` (reload, reconcile, consume) while renewing the lease throughout.

        A reconcile can outlast the lease; unrenewed, a standby would take over mid-way and
        the two would hand the lead back and forth, each reloading everything. If the lease
        is lost all the same (the store unreachable for a whole lifetime), give up the gain.
        """
        self.not_ready = "taking the lead: reloading and reconciling"
        self._gaining = True
        gain = asyncio.ensure_future(self.on_gain())
        renew = asyncio.create_task(self._renew_until_lost(), name="scheduler-lease-renewal")
        try:
            await asyncio.wait({gain, renew}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            renew.cancel()
            if not gain.done():
                gain.cancel()
            await asyncio.gather(gain, renew, return_exceptions=True)
            self._gaining = False
        if gain.cancelled():
            logger.warning("lease lost while taking the lead", extra=log_fields(holder=self.holder))
            self.not_ready = "lost the lease while taking the lead"
            await self.on_lose()
            return False
        if (error := gain.exception()) is not None:
            self.not_ready = f"taking the lead failed ({error!r}); retrying"
            raise error
        self.not_ready = None
        return True

    async def _renew_until_lost(self) -> None:
        while True:
            await asyncio.sleep(self.renew_every)
            try:
                if not await self.lease.acquire(LEASE_NAME, self.holder, self.ttl, self.clock()):
                    return
            except Exception:
                logger.warning("lease renewal failed; retrying", exc_info=True)

    async def ready(self) -> None:
        """The readiness check: a leader once it has reconciled and consumes; a standby."""
        if self.not_ready is not None:
            raise NotReady(self.not_ready)

    async def _run(self) -> None:
        while True:
            try:
                await self.step(self.clock())
            except Exception:
                logger.exception("leadership step failed")
            await asyncio.sleep(self.renew_every)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="scheduler-leadership")

    async def stop(self) -> None:
        # Stopping mid-way through taking the lead still undoes what was started.
        holding = self.leading or self._gaining
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if holding:
            self.leading = False
            await self.on_lose()
            # Hand over now rather than make a standby wait out the lease.
            await self.lease.release(LEASE_NAME, self.holder)
