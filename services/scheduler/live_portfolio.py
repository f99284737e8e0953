"""The live in-memory portfolio, shared by the subscribers and the re-check timer."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from services.scheduler.domain import Portfolio, RiskPolicy


@dataclass
class LivePortfolio:
    """One lock serialises every mutation: batches and re-checks interleave at awaits."""

    portfolio: Portfolio
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @classmethod
    def empty(cls, policy: RiskPolicy) -> LivePortfolio:
        return cls(Portfolio(policy))
