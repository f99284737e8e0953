"""Exactly one scheduler replica leads at a time; a standby takes over when the lead lapses."""

from __future__ import annotations

import asyncio
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


class ManualClock:
    """The time every replica reads, moved only by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class SignallingLease(MongoLease):
    """Says each time its holder took or renewed the lease."""

    def __init__(self, db: Any) -> None:
        super().__init__(db)
        self.held = asyncio.Event()

    async def acquire(self, name: str, holder: str, ttl_seconds: float, now: datetime) -> bool:
        held = await super().acquire(name, holder, ttl_seconds, now)
        if held:
            self.held.set()
        return held


async def test_a_leader_keeps_the_lead_through_a_reconcile_that_outlasts_its_lease(db: Any) -> None:
    clock, lease = ManualClock(T0), SignallingLease(db)
    standby = Replica(db, "replica-b")
    standby_won: list[bool] = []

    async def slow_reconcile() -> None:
        # Three lease lifetimes pass while reconciling; the standby tries every 5 s of them.
        for _ in range(9):
            clock.now += timedelta(seconds=5)
            lease.held.clear()
            await asyncio.wait_for(lease.held.wait(), 30)  # the leader renewed meanwhile
            standby_won.append(await standby.leadership.step(clock.now))

    leader = Leadership(lease, "replica-a", TTL, slow_reconcile, Replica(db, "x").lose, clock)
    leader.renew_every = 0.01

    assert await leader.step(clock.now)
    assert standby_won == [False] * 9
    assert standby.events == []


async def test_a_leader_that_loses_its_lease_while_reconciling_gives_up(db: Any) -> None:
    clock, lease = ManualClock(T0), SignallingLease(db)
    standby, abandoned = Replica(db, "replica-b"), Replica(db, "replica-a")

    async def reconcile_while_the_lease_goes() -> None:
        # The store lost the lease (say, restored from a backup) and the standby took it.
        await db["leases"].delete_many({})
        assert await standby.leadership.step(clock.now)
        await asyncio.Event().wait()

    leader = Leadership(
        lease, "replica-a", TTL, reconcile_while_the_lease_goes, abandoned.lose, clock
    )
    leader.renew_every = 0.01

    assert not await asyncio.wait_for(leader.step(clock.now), 30)
    assert abandoned.events == ["stand by"]
    assert standby.events == ["lead"]
