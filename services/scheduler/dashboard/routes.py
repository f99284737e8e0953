"""The dashboard's routes: the page, its assets, and ``GET /events`` for live updates.

One HTML shell serves every view (board, item, releases, graph); the page's own JavaScript
picks the view from the URL's hash and reads the scheduler's JSON API.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from opentelemetry import trace

from services.scheduler.dashboard.feedback_proxy import FeedbackProxy, feedback_router
from services.scheduler.dashboard.live import RiskFeed

STATIC = Path(__file__).parent / "static"


def dashboard_router(feed: RiskFeed) -> APIRouter:
    router = APIRouter()

    @router.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    @router.get("/events", include_in_schema=False)
    async def events() -> StreamingResponse:
        """Server-sent events: ``risk`` with the changed item ids whenever risk changes."""
        return StreamingResponse(
            feed.events(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return router


def mount_dashboard(app: FastAPI, feed: RiskFeed, feedback_url: str, tracer: trace.Tracer) -> None:
    app.include_router(dashboard_router(feed))
    app.include_router(feedback_router(FeedbackProxy(feedback_url, tracer)))
    app.mount("/dashboard", StaticFiles(directory=STATIC), name="dashboard")
