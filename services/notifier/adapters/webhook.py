"""Outbound webhooks over HTTP, traced, with the trace context in the request headers."""

from __future__ import annotations

from collections.abc import Mapping

import httpx
from opentelemetry import propagate
from opentelemetry.trace import SpanKind, Tracer


class HttpWebhookSender:
    def __init__(self, client: httpx.AsyncClient, tracer: Tracer) -> None:
        self.client = client
        self.tracer = tracer

    async def send(self, url: str, headers: Mapping[str, str], body: bytes) -> int:
        with self.tracer.start_as_current_span("webhook POST", kind=SpanKind.CLIENT) as span:
            span.set_attribute("url.full", url)
            outgoing = dict(headers)
            propagate.inject(outgoing)
            response = await self.client.post(url, content=body, headers=outgoing)
            span.set_attribute("http.response.status_code", response.status_code)
            return response.status_code
