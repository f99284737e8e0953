"""Read side and operator actions on what the notifier has delivered or failed to deliver."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict

from services.notifier.adapters.mongo import MongoNotificationLog
from services.notifier.domain.retry import REDRIVABLE_STATES
from services.notifier.redaction import logged

STATUSES = ("pending", "sent", "retrying", "failed", "dead")


class RedriveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    since: AwareDatetime | None = None


def notifications_router(log: MongoNotificationLog) -> APIRouter:
    router = APIRouter()

    @router.get("/notifications")
    async def notifications(
        limit: int = Query(100, ge=1, le=1000),
        person: str | None = None,
        status: str | None = Query(None, pattern="^(" + "|".join(STATUSES) + ")$"),
        since: AwareDatetime | None = None,
    ) -> list[dict[str, Any]]:
        documents = await log.recent(limit, person, status, since)
        return [summary(d) for d in documents]

    @router.get("/notifications/{notification_id}")
    async def notification(notification_id: str) -> dict[str, Any]:
        document = await log.one(notification_id)
        if document is None:
            raise HTTPException(404, f"no notification {notification_id}")
        document.pop("body", None)
        attempts = document.pop("attempt_log", [])
        count = document.pop("attempts", len(attempts))
        shown = {
            "id": document.pop("_id"),
            **document,
            "attempt_count": count,
            "attempts": attempts,
        }
        return logged(shown)

    @router.post("/notifications/redrive")
    async def redrive(body: RedriveBody | None = None) -> dict[str, Any]:
        since = body.since if body is not None else None
        count = await log.redrive(datetime.now(UTC), since)
        return {"redriven": count, "states": list(REDRIVABLE_STATES)}

    return router


def summary(document: dict[str, Any]) -> dict[str, Any]:
    document.pop("attempt_log", None)
    return logged({"id": document.pop("_id"), **document})
