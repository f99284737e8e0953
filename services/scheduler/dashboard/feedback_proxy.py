"""The item page's linked feedback and the demand view, read from feedback's HTTP API.

The scheduler never reads feedback's collections; it forwards these GETs so the page keeps a
single origin. When feedback is down the page still renders: an empty list and a note saying why.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import APIRouter, Query
from opentelemetry import trace
from pydantic import SecretStr

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 3.0


def linked(feedback: list[dict[str, Any]], note: str | None = None) -> dict[str, Any]:
    return {"feedback": feedback, "note": note}


class FeedbackProxy:
    def __init__(
        self,
        feedback_url: str,
        tracer: trace.Tracer,
        token: SecretStr | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.feedback_url = feedback_url.rstrip("/")
        self.headers = {"Accept": "application/json"}
        if token is not None:
            self.headers["Authorization"] = f"Bearer {token.get_secret_value()}"
        self.tracer = tracer
        self.transport = transport

    async def on_item(self, item_id: str) -> dict[str, Any]:
        path = f"/items/{quote(item_id, safe='/')}/feedback"
        with self.tracer.start_as_current_span("proxy item feedback") as span:
            span.set_attribute("slipstream.item_id", item_id)
            status, body, why = await self.forward(path, {})
            if status == 404:  # feedback knows no feedback on this item
                return linked([])
            if why is not None:
                note = self.unavailable(span, why, "linked customers are not shown", item_id)
                return linked([], note)
            return linked(body)

    async def demand(self, params: dict[str, str]) -> dict[str, Any]:
        """Items ranked by weighted customer demand, with their trends (``GET /demand``)."""
        with self.tracer.start_as_current_span("proxy demand") as span:
            _, body, why = await self.forward("/demand", params)
            if why is not None:
                note = self.unavailable(span, why, "customer demand is not shown")
                return {"demand": [], "note": note}
            return {"demand": body, "note": None}

    async def forward(self, path: str, params: dict[str, str]) -> tuple[int, Any, str | None]:
        """Feedback's answer to one GET: its status, its JSON, and why it is unusable (None
        when it is a 200)."""
        client = httpx.AsyncClient(timeout=TIMEOUT_SECONDS, transport=self.transport)
        try:
            async with client:
                response = await client.get(
                    f"{self.feedback_url}{path}", params=params, headers=self.headers
                )
        except httpx.HTTPError as error:
            return 0, None, f"{type(error).__name__}: {error}"
        trace.get_current_span().set_attribute("http.response.status_code", response.status_code)
        if response.status_code != 200:
            return response.status_code, None, f"status {response.status_code}"
        return 200, response.json(), None

    def unavailable(
        self, span: trace.Span, why: str, missing: str, item_id: str | None = None
    ) -> str:
        """Say so in the span and the log, and return the page's note on what it lacks."""
        span.set_status(trace.StatusCode.ERROR, why)
        about = {"feedback_url": self.feedback_url, "why": why, "item_id": item_id}
        logger.warning("feedback unreachable", extra=about)
        return f"Feedback is unavailable ({why}); {missing}."


# The scheduler's own verdict on each of some items (``RiskViews.verdicts``).
Verdicts = Callable[[list[str]], Awaitable[dict[str, dict[str, Any]]]]


def feedback_router(proxy: FeedbackProxy, verdicts: Verdicts) -> APIRouter:
    router = APIRouter()

    @router.get("/linked-feedback/{item_id:path}", include_in_schema=False)
    async def item_feedback(item_id: str) -> dict[str, Any]:
        """The feedback linked to the item and who sent it, as the feedback service has it."""
        return await proxy.on_item(item_id)

    @router.get("/customer-demand", include_in_schema=False)
    async def customer_demand(limit: int = Query(200, ge=1, le=5000)) -> dict[str, Any]:
        """Where customers wait, heaviest first, as the feedback service weighs it, each with
        the scheduler's level and forecast for it (null for an item it has not assessed)."""
        answer = await proxy.demand({"limit": str(limit)})
        found = await verdicts([row["item_id"] for row in answer["demand"]])
        empty = {"level": None, "forecast": None}
        rows = [row | found.get(row["item_id"], empty) for row in answer["demand"]]
        return {**answer, "demand": rows}

    return router
