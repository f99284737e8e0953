"""Exactly one scheduler replica leads at a time; a standby takes over when the lead lapses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.scheduler.adapters.mongo import MongoLease
from services.scheduler.leadership import Leadership

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
TTL = 15.0


class Replica:
    def __init__(self, db: Any, name: str) -> None:
        self.events: list[str] = []
        self.leadership = Leadership(MongoLease(db), name, TTL, self.gain, self.lose)

    async def gain(self) -> None:
        self.events.append("lead")

    async def lose(self) -> None:
        self.events.append("stand by")


async def test_only_one_replica_leads_and_the_other_takes_over_after_expiry(db: Any) -> None:
    first, second = Replica(db, "replica-a"), Replica(db, "replica-b")
    assert await first.leadership.step(T0)
    assert not await second.leadership.step(T0 + timedelta(seconds=5))
    assert await first.leadership.step(T0 + timedelta(seconds=10))  # renewed
    # replica-a falls silent; its lease runs out 15 s after its last renewal.
    assert await second.leadership.step(T0 + timedelta(seconds=26))
    assert not await first.leadership.step(T0 + timedelta(seconds=27))
    assert first.events == ["lead", "stand by"]
    assert second.events == ["lead"]


async def test_a_leader_that_stops_hands_over_at_once(db: Any) -> None:
    first, second = Replica(db, "replica-a"), Replica(db, "replica-b")
    await first.leadership.step(T0)
    await first.leadership.stop()
    assert await second.leadership.step(T0 + timedelta(seconds=1))
    assert first.events == ["lead", "stand by"]
