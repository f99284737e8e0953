"""``GET /report?since=7d&format=md|html|json``: the weekly status, from MongoDB.

The figures come from ``report_figures`` over the stored assessments, releases, demand and
risk history; this module only reads them and picks the format.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from pymongo.asynchronous.database import AsyncDatabase

from services.scheduler.history_checkpoints import HistoryCheckpoints
from services.scheduler.report_figures import WeeklyReport, weekly_report
from services.scheduler.report_render import to_html, to_markdown
from shared.http import problem
from shared.telemetry import log_fields

logger = logging.getLogger(__name__)

SPAN = re.compile(r"^(\d+)([hdw])$")
UNITS = {"h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, now: datetime) -> datetime:
    """``7d``, ``36h``, ``2w`` before ``now``, or an ISO instant with its UTC offset."""
    if found := SPAN.match(text.strip()):
        return now - timedelta(**{UNITS[found[2]]: int(found[1])})
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"since must look like 7d, 36h, 2w or an ISO instant: {text!r}") from exc
    if moment.tzinfo is None:
        raise ValueError(f"since needs a UTC offset, e.g. {text}Z")
    if moment >= now:
        raise ValueError(f"since must be in the past: {text!r}")
    return moment


class ReportReader:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.db = db
        self.checkpoints = HistoryCheckpoints(db)

    async def every(self, name: str, query: dict[str, Any]) -> list[dict[str, Any]]:
        return [d async for d in self.db[name].find(query)]

    async def history(self, since: datetime, until: datetime) -> list[dict[str, Any]]:
        """Enough history for every figure: each item's entry at ``since``, then the period's."""
        period = await self.every("assessment_history", {"at": {"$gt": since, "$lte": until}})
        return [*await self.checkpoints.entries_at(since), *period]

    async def weekly(self, since: datetime, until: datetime) -> WeeklyReport:
        return weekly_report(
            current=await self.every("assessments", {}),
            releases=await self.every("releases", {}),
            history=await self.history(since, until),
            demand=await self.every("demand", {}),
            since=since,
            until=until,
        )


def report_router(reader: ReportReader) -> APIRouter:
    router = APIRouter()

    @router.get("/report", response_model=None)
    async def report(
        since: str = "7d", format: Literal["md", "html", "json"] = "md"
    ) -> Response | dict[str, Any]:
        """One-page status: releases vs target, movements, slipping chains, waiting demand."""
        now = datetime.now(UTC)
        try:
            start = parse_since(since, now)
        except ValueError as exc:
            return problem(422, "Invalid request", str(exc))
        figures = await reader.weekly(start, now)
        logger.info(
            "report rendered",
            extra=log_fields(
                format=format,
                since=start.isoformat(),
                releases=len(figures.releases),
                newly_at_risk=len(figures.newly_at_risk),
                recovered=len(figures.recovered),
            ),
        )
        if format == "html":
            return HTMLResponse(to_html(figures))
        if format == "json":
            return JSONResponse(jsonable(asdict(figures)))
        return PlainTextResponse(to_markdown(figures), media_type="text/markdown")

    return router


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items() if k != "_id"} | (
            {"item_id": value["_id"]} if "_id" in value else {}
        )
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value
