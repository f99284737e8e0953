"""Risk history on the real Mongo-wire server: kept per change, read at an instant, per item."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI

from services.scheduler.adapters.mongo import ensure_history_indexes
from services.scheduler.graph_view import GraphView
from services.scheduler.history_views import HistoryViews
from services.scheduler.http import risk_router
from services.scheduler.views import RiskViews
from shared.http import install_problem_handlers
from tests.integration.scheduler.conftest import Scheduler
from tests.unit.scheduler_app.support import TODAY, edge, item

pytestmark = pytest.mark.integration

MIDNIGHT = datetime.combine(TODAY, datetime.min.time(), UTC)


def ids(u: str) -> tuple[str, str]:
    return f"jira:WEB-{u}", f"jira:API-{u}"


async def slip_then_recover(scheduler: Scheduler, u: str) -> None:
    web, api = ids(u)
    batch = [item(web, 1, target=10, team="web"), item(api, 1, target=30), edge(api, web, 2)]
    await scheduler.feed(batch)
    await scheduler.feed(batch)  # redelivered: nothing new to keep
    await scheduler.feed([edge(api, web, 5, present=False)], TODAY + timedelta(days=1))


@pytest.fixture
async def api(scheduler: Scheduler, unique: str) -> AsyncIterator[httpx.AsyncClient]:
    await ensure_history_indexes(scheduler.db, 30)
    await slip_then_recover(scheduler, unique)
    app = FastAPI()
    install_problem_handlers(app)
    views = RiskViews(scheduler.db), GraphView(scheduler.db), HistoryViews(scheduler.db)
    app.include_router(risk_router(*views))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://scheduler") as client:
        yield client


async def at_risk_then(api: httpx.AsyncClient, moment: datetime) -> list[dict[str, Any]]:
    response = await api.get("/risk", params={"as_of": moment.isoformat()})
    assert response.status_code == 200, response.text
    return list(response.json())


async def test_as_of_answers_what_was_at_risk_then_and_why(
    api: httpx.AsyncClient, unique: str
) -> None:
    web, _ = ids(unique)
    assert await at_risk_then(api, MIDNIGHT - timedelta(seconds=1)) == []
    then = await at_risk_then(api, MIDNIGHT + timedelta(hours=12))
    assert [(r["item_id"], r["level"]) for r in then] == [(web, "off_track")]
    assert then[0]["chain"][1].startswith("jira:API")
    assert then[0]["reasons"]
    later = await at_risk_then(api, MIDNIGHT + timedelta(days=1, hours=1))
    assert [(r["item_id"], r["level"]) for r in later] == [(web, "on_track")]
    naive = await api.get("/risk", params={"as_of": "2026-03-02T12:00:00"})
    assert naive.status_code == 422


async def test_item_history_lists_each_change_once_oldest_first(
    api: httpx.AsyncClient, unique: str
) -> None:
    web, _ = ids(unique)
    found = (await api.get(f"/items/{quote(web, safe=':/')}/history")).json()
    assert [(e["level"], e["previous_level"]) for e in found] == [
        ("off_track", None),
        ("on_track", "off_track"),
    ]
    assert found[0]["forecast"] > found[0]["target"]
    quiet = (await api.get(f"/items/{quote(f'jira:API-{unique}', safe=':/')}/history")).json()
    assert quiet == []  # known, never announced
    unknown = await api.get("/items/jira:NEVER/history")
    assert unknown.status_code == 404


async def test_history_has_a_ttl_index_of_the_configured_retention(
    scheduler: Scheduler,
) -> None:
    await ensure_history_indexes(scheduler.db, 30)
    await ensure_history_indexes(scheduler.db, 7)  # changed retention replaces the index
    indexes = await scheduler.db["assessment_history"].index_information()
    assert indexes["at_ttl"]["expireAfterSeconds"] == 7 * 86400
