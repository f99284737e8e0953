"""Start-up reconciliation: the engine recomputed from the projections versus what is stored.

A crash after projecting a batch but before publishing its risk changes leaves the stored
assessments behind the projections. Recomputing everything at start and announcing each item
whose signature differs from the stored one closes that gap (at least once).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from datetime import date, datetime
from typing import Any

from services.scheduler.announcer import RiskAnnouncer
from services.scheduler.domain import Portfolio, RiskPolicy
from services.scheduler.handlers import (
    build_portfolio,
    counts_of,
    log_loaded,
    read_projections,
)
from services.scheduler.ports import WorkStore
from shared.collector import collector_paused
from shared.concurrency import all_of
from shared.telemetry import log_fields

logger = logging.getLogger(__name__)


async def reconcile(
    store: WorkStore, announcer: RiskAnnouncer, policy: RiskPolicy, now: datetime
) -> int:
    """Load the portfolio, compare with the stored assessments, announce and store the gaps."""
    # Paused: the load allocates millions of objects that live on (see collector_paused).
    async with announcer.live.lock:
        with collector_paused():
            return await _reconcile(store, announcer, policy, now)


async def _reconcile(
    store: WorkStore, announcer: RiskAnnouncer, policy: RiskPolicy, now: datetime
) -> int:
    """``reconcile`` with the lock held and the cycle collector paused."""
    live, mirror = announcer.live, announcer.mirror
    began = time.perf_counter()
    stored = await read_projections(store)
    read, counts = time.perf_counter(), counts_of(stored)
    # Reading the stored assessments is the database's work, building and assessing the
    # portfolio (seconds of pure CPU, off the loop) is ours: they run at once.
    loaded_in, (live.portfolio, built, assessed_in) = await all_of(
        timed(mirror.load()),
        asyncio.to_thread(assessed_portfolio, policy, stored, now.date()),
    )
    log_loaded(counts, read - began, built)
    # Where a slow start goes: the projections, the stored assessments, then the rest.
    logger.info(
        "reconcile loaded",
        extra=log_fields(
            portfolio_seconds=round(time.perf_counter() - began, 3),
            assessments_seconds=round(loaded_in, 3),
            assess_seconds=round(assessed_in, 3),
            assessments=len(mirror.stored),
        ),
    )

    async def assessed() -> None:
        """Done above, while the stored assessments loaded."""

    return await announcer.reassess("reconcile", assessed, lambda change: None, now)


def assessed_portfolio(
    policy: RiskPolicy, stored: dict[str, list[dict[str, Any]]], today: date
) -> tuple[Portfolio, float, float]:
    """The portfolio the projections describe, every item assessed; the seconds building
    it took, and then assessing it. Empties ``stored``: its documents are in the portfolio
    now, and freeing them before the stored assessments arrive keeps the peak memory down
    (100,000 items: 1.58 GB with them kept)."""
    began = time.perf_counter()
    portfolio = build_portfolio(policy, stored)
    stored.clear()
    built = time.perf_counter()
    portfolio.assess_all(today)
    return portfolio, built - began, time.perf_counter() - built


async def timed(work: Awaitable[None]) -> float:
    """How long ``work`` took, in seconds."""
    began = time.perf_counter()
    await work
    return time.perf_counter() - began
