"""Feedback's API: demand ranking, an item's feedback, customers, organisations, links.

Unknown ids answer 404 problem+json; bodies FastAPI cannot validate answer 422.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.feedback.domain.organisations import Organisation
from services.feedback.handlers import Weighing
from services.feedback.links import UnknownFeedback, decide_link, put_organisation
from services.feedback.views import FeedbackViews
from shared.http import problem
from shared.publishing import EventPublisher


class LinkBody(BaseModel):
    feedback_id: str = Field(min_length=1)
    item_id: str = Field(min_length=1)


class OrganisationBody(BaseModel):
    name: str = Field(min_length=1)
    domains: list[str] = Field(default_factory=list)
    tier: str | None = None
    arr: float | None = Field(None, ge=0)
    owner: str | None = Field(None, min_length=1, description="Who owns the account.")


def feedback_router(
    views: FeedbackViews,
    weighing: Weighing,
    publisher: EventPublisher,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> APIRouter:
    router = APIRouter()
    router.include_router(reading_router(views, clock))
    router.include_router(editing_router(views, weighing, publisher, clock))
    return router


def reading_router(views: FeedbackViews, clock: Callable[[], datetime]) -> APIRouter:
    router = APIRouter()

    @router.get("/demand")
    async def demand(
        team: str | None = None, release: str | None = None, limit: int = Query(50, ge=1, le=5000)
    ) -> list[dict[str, Any]]:
        """Items ranked by weighted demand, heaviest first, each with its title (null until a
        work tool names the item) and its recent trend.

        ``team`` and ``release`` filter by the item's team and release as the work tools last
        reported them; an item feedback has not seen in WORK matches no filter.
        """
        return await views.ranked(limit, clock(), team, release)

    @router.get("/items/{item_id:path}/feedback", response_model=None)
    async def item_feedback(item_id: str) -> list[dict[str, Any]] | JSONResponse:
        found = await views.on_item(item_id)
        return problem(404, "Unknown item", item_id) if found is None else found

    @router.get("/customers/{customer_id:path}", response_model=None)
    async def customer(customer_id: str) -> dict[str, Any] | JSONResponse:
        found = await views.customer(customer_id)
        return problem(404, "Unknown customer", customer_id) if found is None else found

    @router.get("/organisations/{organisation_id:path}", response_model=None)
    async def organisation(organisation_id: str) -> dict[str, Any] | JSONResponse:
        found = await views.organisation(organisation_id)
        return problem(404, "Unknown organisation", organisation_id) if found is None else found

    return router


def editing_router(
    views: FeedbackViews,
    weighing: Weighing,
    publisher: EventPublisher,
    clock: Callable[[], datetime],
) -> APIRouter:
    router = APIRouter()

    @router.put("/organisations/{organisation_id:path}")
    async def edit_organisation(organisation_id: str, body: OrganisationBody) -> dict[str, Any]:
        domains = tuple(sorted({d.strip().lower() for d in body.domains if d.strip()}))
        edited = Organisation(organisation_id, body.name, domains, body.tier, body.arr, body.owner)
        await put_organisation(weighing, publisher, edited, clock())
        return await views.organisation(organisation_id) or {}

    async def decide(feedback_id: str, item_id: str, linked: bool) -> dict[str, Any] | JSONResponse:
        try:
            await decide_link(weighing, publisher, (feedback_id, item_id, linked), clock())
        except UnknownFeedback:
            return problem(404, "Unknown feedback", feedback_id)
        return {"feedback_id": feedback_id, "item_id": item_id, "linked": linked}

    @router.post("/links", response_model=None)
    async def link(body: LinkBody) -> dict[str, Any] | JSONResponse:
        return await decide(body.feedback_id, body.item_id, True)

    @router.delete("/links", response_model=None)
    async def unlink(
        feedback_id: str = Query(min_length=1), item_id: str = Query(min_length=1)
    ) -> dict[str, Any] | JSONResponse:
        return await decide(feedback_id, item_id, False)

    return router
