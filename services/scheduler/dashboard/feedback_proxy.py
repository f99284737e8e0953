"""The item page's linked feedback, read from the feedback service over its HTTP API.

The scheduler never reads feedback's collections; it forwards this one GET so the page keeps a
single origin. When feedback is down the page still renders: an empty list and a note saying why.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import APIRouter
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
        url = f"{self.feedback_url}/items/{quote(item_id, safe='/')}/feedback"
        with self.tracer.start_as_current_span("proxy item feedback") as span:
            span.set_attribute("slipstream.item_id", item_id)
            client = httpx.AsyncClient(timeout=TIMEOUT_SECONDS, transport=self.transport)
            try:
                async with client:
                    response = await client.get(url, headers=self.headers)
            except httpx.HTTPError as error:
                return self.unavailable(span, item_id, f"{type(error).__name__}: {error}")
            span.set_attribute("http.response.status_code", response.status_code)
            if response.status_code == 404:  # feedback knows no feedback on this item
                return linked([])
            if response.status_code != 200:
                return self.unavailable(span, item_id, f"status {response.status_code}")
            return linked(response.json())

    def unavailable(self, span: trace.Span, item_id: str, why: str) -> dict[str, Any]:
        span.set_status(trace.StatusCode.ERROR, why)
        logger.warning(
            "feedback unreachable", extra={"item_id": item_id, "feedback_url": self.feedback_url}
        )
        return linked([], f"Feedback is unavailable ({why}); linked customers are not shown.")


def feedback_router(proxy: FeedbackProxy) -> APIRouter:
    router = APIRouter()

    @router.get("/linked-feedback/{item_id:path}", include_in_schema=False)
    async def item_feedback(item_id: str) -> dict[str, Any]:
        """The feedback linked to the item and who sent it, as the feedback service has it."""
        return await proxy.on_item(item_id)

    return router
