"""Sending one recorded message on its channel: Slack incoming webhook, SMTP, signed webhook.

Each sender returns an ``AttemptResult`` and never raises for a delivery failure, so the
retry verdict is decided in one place (``domain.retry.judge``).
"""

from __future__ import annotations

import json
from datetime import datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import unquote, urlsplit

import aiosmtplib
import httpx
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Tracer

from services.notifier.domain.retry import AttemptResult
from services.notifier.redaction import masked_url
from shared.standard_webhooks import signed_headers


class HttpChannels:
    """Slack and signed webhooks share one HTTP client; the idempotency key rides on each."""

    def __init__(self, client: httpx.AsyncClient, tracer: Tracer | None = None) -> None:
        self.client = client
        self.tracer = tracer or trace.get_tracer(__name__)

    async def post(self, url: str, headers: dict[str, str], body: bytes) -> AttemptResult:
        with self.tracer.start_as_current_span("POST", kind=SpanKind.CLIENT) as span:
            # Masked: a Slack incoming-webhook URL is itself the credential.
            span.set_attribute("url.full", masked_url(url))
            span.set_attribute("http.request.method", "POST")
            propagate.inject(headers)  # the receiver can join the trace of what caused it
            try:
                response = await self.client.post(url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                span.set_attribute("error.type", type(exc).__name__)
                return AttemptResult(None, error=repr(exc))
            span.set_attribute("http.response.status_code", response.status_code)
        error = None if response.is_success else f"HTTP {response.status_code}"
        return AttemptResult(response.status_code, response.headers.get("retry-after"), error)

    async def slack(self, message: dict[str, Any]) -> AttemptResult:
        body = json.dumps(message["payload"], separators=(",", ":")).encode()
        headers = {"content-type": "application/json", "x-slipstream-message-id": message["_id"]}
        return await self.post(message["destination"], headers, body)

    async def webhook(self, message: dict[str, Any], secret: str, now: datetime) -> AttemptResult:
        body = json.dumps(message["payload"], separators=(",", ":"), sort_keys=True).encode()
        headers = signed_headers(secret, message["_id"], int(now.timestamp()), body)
        headers["content-type"] = "application/json"
        return await self.post(message["destination"], headers, body)


class SmtpChannel:
    """``smtp://user:pass@host:port`` or ``smtps://…``; ``?starttls=true`` upgrades a plain port."""

    def __init__(self, url: str, sender: str, timeout: float) -> None:
        self.parts = urlsplit(url)
        self.sender = sender
        self.timeout = timeout

    async def email(self, message: dict[str, Any]) -> AttemptResult:
        content = message["payload"]
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message["destination"]
        mail["Subject"] = content["subject"]
        mail["Message-ID"] = f"<{message['_id']}@slipstream>"
        mail.set_content(content["plain"])
        mail.add_alternative(content["html"], subtype="html")
        parts = self.parts
        try:
            await aiosmtplib.send(
                mail,
                hostname=parts.hostname or "localhost",
                port=parts.port or (465 if parts.scheme == "smtps" else 25),
                username=unquote(parts.username) if parts.username else None,
                password=unquote(parts.password) if parts.password else None,
                use_tls=parts.scheme == "smtps",
                start_tls="starttls=true" in parts.query,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPResponseException as exc:
            # SMTP 4yz is transient, 5yz permanent: map onto the HTTP-shaped verdict.
            return AttemptResult(503 if exc.code < 500 else 400, error=f"SMTP {exc.code}")
        except (aiosmtplib.SMTPException, OSError) as exc:
            return AttemptResult(None, error=repr(exc))
        return AttemptResult(200)  # accepted by the relay: the HTTP-shaped "sent"
