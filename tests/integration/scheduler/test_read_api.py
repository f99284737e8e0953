"""The read API over real projections: ranked risk, an item's chain, a release, the graph."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI

from services.scheduler.graph_view import GraphView
from services.scheduler.history_views import HistoryViews
from services.scheduler.http import risk_router
from services.scheduler.views import RiskViews
from shared.http import install_problem_handlers
from tests.integration.scheduler.conftest import Scheduler
from tests.unit.scheduler_app.support import edge, item, release

pytestmark = pytest.mark.integration


@pytest.fixture
async def api(scheduler: Scheduler, unique: str) -> AsyncIterator[httpx.AsyncClient]:
    u = unique
    await scheduler.feed(
        [
            release(f"rel-{u}", 12),
            item(f"github:acme/web#1{u}", 1, target=10, team=f"web{u}", release_id=f"rel-{u}"),
            item(f"jira:API-{u}", 1, target=20, team=f"api{u}", owner="dev", title="Payments API"),
            item(f"jira:DB-{u}", 1, target=25, team=f"api{u}"),
            item(f"jira:CALM-{u}", 1, target=5, team=f"web{u}", release_id=f"rel-{u}"),
            edge(f"jira:API-{u}", f"github:acme/web#1{u}", 2),
            edge(f"jira:DB-{u}", f"jira:API-{u}", 2),
        ]
    )
    app = FastAPI()
    install_problem_handlers(app)
    views = RiskViews(scheduler.db), GraphView(scheduler.db), HistoryViews(scheduler.db)
    app.include_router(risk_router(*views))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://scheduler") as client:
        yield client


async def test_risk_is_ranked_and_filtered(api: httpx.AsyncClient, unique: str) -> None:
    rows = (await api.get("/risk", params={"team": f"web{unique}"})).json()
    assert [r["item_id"] for r in rows] == [f"github:acme/web#1{unique}", f"jira:CALM-{unique}"]
    assert rows[0]["level"] == "off_track"
    assert rows[0]["score"] > rows[1]["score"]
    assert rows[0]["release_name"] == f"Release rel-{unique}", "named, beside its id"
    [blocked] = [r for r in rows[0]["reasons"] if r["code"] == "blocker_late"]
    assert blocked["message"].startswith(f"jira:API-{unique} is forecast to finish on")
    assert blocked["told"].startswith(f"Payments API (jira:API-{unique}) is forecast to finish")
    api_rows = (await api.get("/risk", params={"team": f"api{unique}"})).json()
    assert {r["release_name"] for r in api_rows} == {None}, "no release, no name"
    bad = await api.get("/risk", params={"level": "doomed"})
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"


async def test_risk_pages_follow_the_next_link_through_every_row_once(
    api: httpx.AsyncClient, scheduler: Scheduler, unique: str
) -> None:
    # Three more of one score: ties are where a page boundary could skip or repeat a row.
    calm = [item(f"jira:TIE{n}-{unique}", 3, target=90, team=f"api{unique}") for n in range(3)]
    await scheduler.feed(calm)
    mine = {"team": f"api{unique}"}
    whole = [r["item_id"] for r in (await api.get("/risk", params=mine)).json()]
    paged: list[str] = []
    response = await api.get("/risk", params={**mine, "limit": 1})
    while True:
        paged += [r["item_id"] for r in response.json()]
        if "next" not in response.links:
            break
        response = await api.get(response.links["next"]["url"])

    assert len(whole) == 5
    assert paged == whole


async def test_pages_cross_score_bands_in_rank_order(
    api: httpx.AsyncClient, scheduler: Scheduler, unique: str
) -> None:
    # A page is read span by span (``RiskTable``): rows from far apart scores, and ties.
    scores = [9000.0, 4096.0, 100.5, 64.0, 64.0, 3.0, 1.0, 0.99, 0.0, 0.0]
    documents = [
        {"_id": f"jira:S{n}-{unique}", "score": s, "team": f"spread{unique}", "level": "at_risk"}
        for n, s in enumerate(scores)
    ]
    await scheduler.db["assessments"].insert_many(documents)
    paged: list[str] = []
    response = await api.get("/risk", params={"team": f"spread{unique}", "limit": 3})
    while True:
        paged += [r["item_id"] for r in response.json()]
        if "next" not in response.links:
            break
        response = await api.get(response.links["next"]["url"])

    assert paged == [d["_id"] for d in sorted(documents, key=lambda d: (-d["score"], d["_id"]))]


async def test_a_cursor_this_api_never_gave_out_is_refused(api: httpx.AsyncClient) -> None:
    response = await api.get("/risk", params={"cursor": "not-a-token"})

    assert response.status_code == 422
    assert "cursor" in response.json()["detail"]


async def test_item_explains_its_whole_chain_with_dates(
    api: httpx.AsyncClient, unique: str
) -> None:
    found = (await api.get(f"/items/{quote(f'github:acme/web#1{unique}', safe=':/')}")).json()

    assert [m["item_id"] for m in found["explanation"]] == found["chain"]
    assert found["chain"] == [
        f"github:acme/web#1{unique}",
        f"jira:API-{unique}",
        f"jira:DB-{unique}",
    ]
    assert [(m["target"], m["forecast"]) for m in found["explanation"]] == [
        ("2026-03-12", "2026-03-27"),
        ("2026-03-22", "2026-03-27"),
        ("2026-03-27", "2026-03-27"),
    ]
    assert found["reasons"][0]["code"] == "blocker_late"
    assert found["reasons"][0]["told"].startswith(f"Payments API (jira:API-{unique}) is forecast")
    assert found["release_name"] == f"Release rel-{unique}", "named as on the board"


async def test_release_forecast_and_threatening_items(api: httpx.AsyncClient, unique: str) -> None:
    found = (await api.get(f"/releases/rel-{unique}")).json()
    assert (found["due"], found["forecast"], found["slip_days"]) == ("2026-03-14", "2026-03-27", 13)
    assert [r["item_id"] for r in found["threatening"]] == [f"github:acme/web#1{unique}"]


async def test_graph_of_a_team_shows_cross_team_blockers_and_their_tool(
    api: httpx.AsyncClient, unique: str
) -> None:
    found = (await api.get("/graph", params={"team": f"web{unique}"})).json()
    assert {(n["id"], n["external"]) for n in found["nodes"]} == {
        (f"github:acme/web#1{unique}", False),
        (f"jira:CALM-{unique}", False),
        (f"jira:API-{unique}", True),
    }
    [link] = found["edges"]
    assert (link["blocker_id"], link["source"], link["critical"]) == (
        f"jira:API-{unique}",
        "github",
        True,
    )


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/items/jira:NOPE-0", 404),
        ("/releases/nope", 404),
        ("/graph", 422),
        ("/graph?team=a&release=b", 422),
        ("/risk?limit=0", 422),
    ],
)
async def test_unknowns_are_404_and_bad_filters_422_as_problems(
    api: httpx.AsyncClient, path: str, status: int
) -> None:
    response = await api.get(path)
    assert response.status_code == status
    assert response.json()["status"] == status


async def test_item_names_each_blocker_with_where_the_edge_was_stated(
    scheduler: Scheduler, api: httpx.AsyncClient, unique: str
) -> None:
    u, me = unique, f"jira:SHIP-{unique}"
    await scheduler.feed(
        [
            item(me, 1, target=10, node_id=f"5{u}"),
            item(f"jira:KEY-{u}", 1, target=30, node_id=f"6{u}"),
            edge(f"jira-id:6{u}", f"jira-id:5{u}", 2, origin="jira-link"),  # made in Jira's UI
            edge(f"linear:ENG-{u}", me, 2, origin="text-reference"),  # a URL in the description
            edge(f"jira:API-{u}", me, 2),  # from a producer that predates origins
        ]
    )
    found = (await api.get(f"/items/{me}")).json()
    assert [(b["item_id"], b["origin"]) for b in found["blockers"]] == [
        (f"jira:API-{u}", "github"),
        (f"jira:KEY-{u}", "jira-link"),
        (f"linear:ENG-{u}", "text-reference"),
    ]
    assert found["chain"][:2] == [me, f"jira:KEY-{u}"]
