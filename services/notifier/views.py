"""Read side: what the notifier has delivered, for people and for tests."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from services.notifier.adapters.mongo import MongoNotificationLog


def notifications_router(log: MongoNotificationLog) -> APIRouter:
    router = APIRouter()

    @router.get("/notifications")
    async def notifications(limit: int = Query(100, ge=1, le=1000)) -> list[dict[str, Any]]:
        documents = await log.recent(limit)
        return [{"id": d.pop("_id"), **d} for d in documents]

    return router
