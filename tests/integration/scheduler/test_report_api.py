"""``GET /report`` over real projections and risk history on the Mongo-wire server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from services.scheduler.report_http import ReportReader, report_router
from shared.http import install_problem_handlers
from tests.integration.scheduler.conftest import Scheduler
from tests.unit.scheduler_app.support import TODAY, edge, item, release

pytestmark = pytest.mark.integration


@pytest.fixture
async def api(scheduler: Scheduler, unique: str) -> AsyncIterator[httpx.AsyncClient]:
    u = unique
    web, api, db = f"jira:WEB-{u}", f"jira:API-{u}", f"jira:DB-{u}"
    await scheduler.feed(
        [
            release(f"rel-{u}", 12),
            item(web, 1, target=10, team="web", release_id=f"rel-{u}"),
            item(api, 1, target=20),
            item(db, 1, target=25),
            edge(api, web, 2),
            edge(db, api, 2),
        ],
        TODAY - timedelta(days=1),  # announced inside the default 7-day window...
    )
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(report_router(ReportReader(scheduler.db)))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://scheduler") as client:
        yield client


async def test_markdown_report_shows_the_release_the_newly_at_risk_and_the_chain(
    api: httpx.AsyncClient, unique: str
) -> None:
    # ...of a report asked for since long before it (the test's dates are fixed in 2026).
    response = await api.get("/report", params={"since": "2026-01-01T00:00:00Z"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/markdown")
    text = response.text
    newly = text.split("## Newly at risk")[1].split("##")[0]
    assert f"| jira:WEB-{unique} |" in newly
    chains = text.split("## Longest slipping chains")[1].split("##")[0]
    assert f"jira:WEB-{unique} → jira:API-{unique} → jira:DB-{unique}" in chains
    assert f"| jira:DB-{unique} |" in chains  # the root cause column
    assert f"rel-{unique}" in text


async def test_html_and_json_formats_and_a_bad_since(api: httpx.AsyncClient, unique: str) -> None:
    page = await api.get("/report", params={"since": "2026-01-01T00:00:00Z", "format": "html"})
    assert page.headers["content-type"].startswith("text/html")
    assert page.text.count("<svg") == 2
    figures = (await api.get("/report", params={"since": "30d", "format": "json"})).json()
    assert set(figures) >= {"releases", "newly_at_risk", "recovered", "chains", "demand"}
    bad = await api.get("/report", params={"since": "last week"})
    assert bad.status_code == 422
    assert "7d" in bad.json()["detail"]
