"""Start-up reconciliation: the engine recomputed from the projections versus what is stored.

A crash after projecting a batch but before publishing its risk changes leaves the stored
assessments behind the projections. Recomputing everything at start and announcing each item
whose signature differs from the stored one closes that gap (at least once).
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime

from services.scheduler.announcer import RiskAnnouncer
from services.scheduler.domain import RiskPolicy
from services.scheduler.handlers import load_portfolio
from services.scheduler.ports import WorkStore
from shared.telemetry import log_fields

logger = logging.getLogger(__name__)


async def reconcile(
    store: WorkStore, announcer: RiskAnnouncer, policy: RiskPolicy, now: datetime
) -> int:
    """Load the portfolio, compare with the stored assessments, announce and store the gaps."""
    live, mirror = announcer.live, announcer.mirror
    async with live.lock:
        began = time.perf_counter()
        live.portfolio = await load_portfolio(store, policy)
        loaded = time.perf_counter()
        await mirror.load()
        # Where a slow start goes: the projections, the stored assessments, then the rest.
        logger.info(
            "reconcile loaded",
            extra=log_fields(
                portfolio_seconds=round(loaded - began, 3),
                assessments_seconds=round(time.perf_counter() - loaded, 3),
                assessments=len(mirror.stored),
            ),
        )

        async def recompute() -> None:
            # Seconds of pure CPU over a large portfolio: off the loop, so health checks and
            # reads still answer. Nothing else touches the portfolio while we hold its lock.
            await asyncio.to_thread(live.portfolio.assess_all, now.date())

        return await announcer.reassess("reconcile", recompute, lambda change: None, now)
