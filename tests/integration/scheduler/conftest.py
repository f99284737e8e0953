"""A scheduler wired to a real MongoDB-compatible server, one fresh database per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from services.scheduler.adapters.mongo import MongoAssessmentStore
from services.scheduler.announcer import RiskAnnouncer
from services.scheduler.domain import RiskPolicy
from services.scheduler.handlers import project_work
from services.scheduler.live_portfolio import LivePortfolio
from services.scheduler.mirror import AssessmentMirror
from services.scheduler.projections import MongoWorkStore
from services.scheduler.reconcile import reconcile
from shared.events import Event
from tests.unit.scheduler_app.support import TODAY, RecordingPublisher, telemetry


class Scheduler:
    """The live path (project, re-assess, announce, store) with the date passed in."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.store = MongoWorkStore(db)
        self.publisher = RecordingPublisher()
        self.live = LivePortfolio.empty(RiskPolicy())
        self.announcer = RiskAnnouncer(
            self.live, AssessmentMirror(MongoAssessmentStore(db)), self.publisher, telemetry()[0]
        )

    async def start(self, today: date = TODAY) -> int:
        await self.store.ensure_indexes()
        now = datetime.combine(today, datetime.min.time(), UTC)
        return await reconcile(self.store, self.announcer, RiskPolicy(), now)

    async def feed(self, batch: Sequence[Event], today: date = TODAY) -> int:

        async def recompute() -> None:
            await project_work(batch, self.store, self.live.portfolio, today)

        now = datetime.combine(today, datetime.min.time(), UTC)
        async with self.live.lock:
            return await self.announcer.reassess(
                "events",
                recompute,
                lambda change: None,
                now,
            )

    async def document(self, name: str, key: str) -> dict[str, Any] | None:
        return await self.db[name].find_one({"_id": key})


@pytest.fixture
async def client(mongodb_url: str) -> AsyncIterator[AsyncMongoClient[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_url, tz_aware=True)
    yield client
    await client.close()


@pytest.fixture
async def db(client: AsyncMongoClient[dict[str, Any]], unique: str) -> AsyncIterator[Any]:
    yield client[f"sched_{unique}"]
    await client.drop_database(f"sched_{unique}")


@pytest.fixture
async def scheduler(db: Any) -> Scheduler:
    running = Scheduler(db)
    await running.start()
    return running
