"""/readyz tells the truth: a leader is ready once it has reconciled and consumes, a standby
once it knows it stands by; otherwise it says why not."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.scheduler.leadership import Leadership
from shared.http import NotReady, health_router

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


class OneHolderLease:
    def __init__(self) -> None:
        self.holder: str | None = None

    async def acquire(self, name: str, holder: str, ttl_seconds: float, now: datetime) -> bool:
        if self.holder in (None, holder):
            self.holder = holder
            return True
        return False

    async def release(self, name: str, holder: str) -> None:
        if self.holder == holder:
            self.holder = None


async def nothing() -> None:
    pass


async def test_a_leader_is_not_ready_until_it_has_reconciled() -> None:
    reconciled = asyncio.Event()
    leader = Leadership(OneHolderLease(), "a", 15, reconciled.wait, nothing)
    with pytest.raises(NotReady, match="deciding"):
        await leader.ready()

    taking = asyncio.create_task(leader.step(NOW))
    await asyncio.sleep(0)
    with pytest.raises(NotReady, match="reconciling"):
        await leader.ready()

    reconciled.set()
    assert await taking
    await leader.ready()


async def test_a_standby_is_ready_to_serve_reads() -> None:
    lease = OneHolderLease()
    await Leadership(lease, "a", 15, nothing, nothing).step(NOW)
    standby = Leadership(lease, "b", 15, nothing, nothing)

    assert not await standby.step(NOW)
    await standby.ready()


async def test_a_failed_reconcile_is_the_reason_given() -> None:
    async def broken() -> None:
        raise ConnectionError("MongoDB did not answer")

    leader = Leadership(OneHolderLease(), "a", 15, broken, nothing)
    with pytest.raises(ConnectionError):
        await leader.step(NOW)
    with pytest.raises(NotReady, match="MongoDB did not answer"):
        await leader.ready()


def test_readyz_answers_503_with_the_reason() -> None:
    async def reconciling() -> None:
        raise NotReady("taking the lead: reloading and reconciling")

    app = FastAPI()
    app.include_router(health_router({"role": reconciling}))
    response = TestClient(app).get("/readyz")

    assert response.status_code == 503
    assert (
        response.json()["checks"]["role"] == "not ready: taking the lead: reloading and reconciling"
    )
