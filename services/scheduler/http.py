"""The scheduler's read API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from services.scheduler.views import RiskViews
from shared.events import RiskLevel
from shared.http import problem


def risk_router(views: RiskViews) -> APIRouter:
    router = APIRouter()

    @router.get("/risk")
    async def risk(
        level: RiskLevel | None = None,
        team: str | None = None,
        release: str | None = None,
        owner: str | None = None,
        limit: int = Query(200, ge=1, le=5000),
    ) -> list[dict[str, Any]]:
        """Current assessments, highest score first, optionally filtered."""
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
        return await views.ranked(filters, limit)

    @router.get("/items/{item_id:path}", response_model=None)
    async def item(item_id: str) -> dict[str, Any] | JSONResponse:
        found = await views.one(item_id)
        if found is None:
            return problem(404, "Unknown item", item_id)
        return found

    return router
