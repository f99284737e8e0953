"""The scheduler's read API: problem+json 404 for unknown ids, 422 for bad filters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from services.scheduler.graph_view import GraphView
from services.scheduler.history_views import HistoryViews
from services.scheduler.views import RiskViews, after_token
from shared.events import RiskLevel
from shared.http import problem


def risk_router(views: RiskViews, graph: GraphView, history: HistoryViews) -> APIRouter:
    router = APIRouter()

    @router.get("/risk", response_model=None)
    async def risk(
        request: Request,
        response: Response,
        level: RiskLevel | None = None,
        team: str | None = None,
        release: str | None = None,
        owner: str | None = None,
        limit: int = Query(200, ge=1, le=5000),
        cursor: str | None = None,
        as_of: datetime | None = None,
    ) -> list[dict[str, Any]] | JSONResponse:
        """Current assessments (or, with ``as_of``, those of that instant), highest score first.

        A page at a time: when more rows follow, ``Link: <…&cursor=…>; rel="next"`` names the
        next page (``as_of`` answers one page of at most ``limit`` rows).
        """
        try:
            after = None if cursor is None else after_token(cursor)
        except ValueError as exc:
            return problem(422, "Invalid request", f"cursor: {exc}")
        filters = {
            key: value
            for key, value in (
                ("level", level.value if level else None),
                ("team", team),
                ("release_id", release),
                ("owner", owner),
            )
            if value is not None
        }
        if as_of is not None:
            if as_of.tzinfo is None:
                return problem(422, "Invalid request", "as_of needs a UTC offset, e.g. Z")
            return await history.as_of(filters, as_of, limit)
        rows, following = await views.ranked(filters, limit, after)
        if following is not None:
            next_page = request.url.include_query_params(cursor=following)
            response.headers["Link"] = f'<{next_page}>; rel="next"'
        return rows

    @router.get("/items/{item_id:path}/history", response_model=None)
    async def item_history(item_id: str) -> list[dict[str, Any]] | JSONResponse:
        """The item's kept assessments over time, oldest first (empty when none were kept)."""
        found = await history.of_item(item_id)
        if not found and not await history.known(item_id):
            return problem(404, "Unknown item", item_id)
        return found

    @router.get("/items/{item_id:path}", response_model=None)
    async def item(item_id: str) -> dict[str, Any] | JSONResponse:
        """The item's assessment and its critical chain, each member with its dates."""
        found = await views.one(item_id)
        if found is None:
            return problem(404, "Unknown item", item_id)
        return found

    @router.get("/releases/{release_id:path}", response_model=None)
    async def release(release_id: str) -> dict[str, Any] | JSONResponse:
        """Due date, forecast (latest among its items) and the items that threaten it."""
        found = await views.release(release_id)
        if found is None:
            return problem(404, "Unknown release", release_id)
        return found

    @router.get("/graph", response_model=None)
    async def dependency_graph(
        team: str | None = None,
        release: str | None = None,
        limit: int = Query(1000, ge=1, le=5000),
    ) -> dict[str, Any] | JSONResponse:
        """Nodes (level, forecast) and edges (with the tool they came from) for drawing."""
        if (team is None) == (release is None):
            return problem(422, "Invalid request", "give exactly one of team or release")
        selection = {"team": team} if team is not None else {"release_id": str(release)}
        return await graph.graph(selection, limit)

    return router
