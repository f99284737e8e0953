"""Named leases: one live holder at a time, renewable by it, free once expired or released."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.scheduler.adapters.mongo import MongoLease
from services.scheduler.ports import Lease
from tests.contract.conftest import Database
from tests.unit.scheduler_app.fakes import InMemoryLease

pytestmark = pytest.mark.contract

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


def later(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def lease(database: Database | None) -> Lease:
    return InMemoryLease() if database is None else MongoLease(database)


async def test_a_free_lease_is_taken_and_then_refused_to_others(lease: Lease) -> None:
    assert await lease.acquire("leader", "a", 30, T0)
    assert not await lease.acquire("leader", "b", 30, later(10))
    assert await lease.acquire("other", "b", 30, later(10))


async def test_the_holder_renews_past_its_first_expiry(lease: Lease) -> None:
    assert await lease.acquire("leader", "a", 30, T0)
    assert await lease.acquire("leader", "a", 30, later(20))
    assert not await lease.acquire("leader", "b", 30, later(40))


async def test_an_expired_lease_is_taken_over_but_not_at_the_instant_it_ends(lease: Lease) -> None:
    assert await lease.acquire("leader", "a", 30, T0)
    assert not await lease.acquire("leader", "b", 30, later(30))
    assert await lease.acquire("leader", "b", 30, later(31))
    assert not await lease.acquire("leader", "a", 30, later(32))


async def test_only_the_holder_can_release(lease: Lease) -> None:
    assert await lease.acquire("leader", "a", 30, T0)
    await lease.release("leader", "b")
    assert not await lease.acquire("leader", "b", 30, later(1))
    await lease.release("leader", "a")
    assert await lease.acquire("leader", "b", 30, later(2))
    await lease.release("never-taken", "a")
