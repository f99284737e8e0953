"""The dashboard's routes: the page, its assets, and ``GET /events`` for live updates.

One HTML shell serves every view (board, item, releases, graph); the page's own JavaScript
picks the view from the URL's hash and reads the scheduler's JSON API.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, RedirectResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles

from services.scheduler.dashboard.feedback_proxy import FeedbackProxy, Verdicts, feedback_router
from services.scheduler.dashboard.live import RiskFeed
from services.scheduler.dashboard.sessions import MongoSessions
from services.scheduler.dashboard.signin import signin_router
from shared.auth import Authenticator, require

STATIC = Path(__file__).parent / "static"


def dashboard_router(feed: RiskFeed) -> APIRouter:
    router = APIRouter()

    @router.get("/", include_in_schema=False)
    async def page(request: Request) -> Response:
        auth: Authenticator = request.app.state.auth
        if await auth.authenticate(request, None) is None:
            return RedirectResponse("/signin", status_code=303)
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    @router.get("/events", include_in_schema=False, dependencies=[require("read")])
    async def events() -> StreamingResponse:
        """Server-sent events: ``risk`` with the changed item ids whenever risk changes."""
        return StreamingResponse(
            feed.events(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return router


def vendored_style_hashes() -> tuple[str, ...]:
    """The style blocks the vendored libraries inject, for the page's CSP."""
    lines = (STATIC / "vendor" / "style-hashes.txt").read_text().splitlines()
    return tuple(line.strip() for line in lines if line.startswith("sha256-"))


def mount_dashboard(
    app: FastAPI, feed: RiskFeed, sessions: MongoSessions, proxy: FeedbackProxy, verdicts: Verdicts
) -> None:
    """The page and sign-in are open; everything the page reads needs ``read``."""
    app.include_router(dashboard_router(feed))
    app.include_router(signin_router(sessions))
    app.include_router(feedback_router(proxy, verdicts), dependencies=[require("read")])
    app.mount("/dashboard", StaticFiles(directory=STATIC), name="dashboard")
