"""``POST /webhooks/{source}``: status codes are the contract with every vendor's retry logic.

A bare ASGI endpoint rather than a FastAPI route: on this one hot path FastAPI's routing,
dependency solving and response classes cost more CPU per request than verification, parsing
and the JetStream write together (profiled with ``bench/ingest_throughput.py``). The service's
tracing middleware still wraps it, and every error is still problem+json.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace
from opentelemetry.metrics import Meter
from starlette.types import Receive, Scope, Send

from services.ingest.config import IngestSettings
from services.ingest.domain import (
    Delivery,
    SourceParser,
    SourceRules,
    Uninterpretable,
    VerificationFailed,
)
from services.ingest.domain.failures import FailureWindow
from services.ingest.handlers import NotJsonObject, Receipt, receive_delivery
from services.ingest.ports import AcceptedNormalisations, DeliveryLog, PublishUnavailable
from shared.http import PROBLEM_JSON, problem_document
from shared.telemetry import HotCounter, log_fields

logger = logging.getLogger(__name__)

WEBHOOKS = "/webhooks/"
Answer = tuple[str, int, dict[str, Any], dict[str, str]]  # outcome, status, body, headers
# Built once: json.dumps with non-default options constructs an encoder on every call.
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class BodyTooLarge(Exception):
    pass


class ClientGone(Exception):
    """The sender hung up before the body arrived; there is nobody left to answer."""


async def read_limited(receive: Receive, declared: str | None, limit: int) -> bytes:
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def failure(
    outcome: str,
    status: int,
    title: str,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    return outcome, status, problem_document(status, title, detail), headers or {}


def accepted(receipt: Receipt) -> Answer:
    content: dict[str, Any] = {
        "status": receipt.verdict.value,
        "delivery_id": receipt.delivery_id,
        "events": receipt.events,
    }
    if receipt.reason:
        content["reason"] = receipt.reason
    return receipt.verdict.value, 202, content, {}


class WebhookEndpoint:
    """Serves ``/webhooks/<source>``; ``shared.http.PrefixDispatch`` routes requests here."""

    def __init__(
        self,
        settings: IngestSettings,
        parsers: Mapping[str, SourceParser],
        rules: SourceRules,
        log: Callable[[], DeliveryLog],
        meter: Meter,
        accepted: AcceptedNormalisations | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.bad_signatures = FailureWindow(
            settings.bad_signature_limit, settings.bad_signature_window_seconds
        )
        self.accepted = accepted
        self.parsers = parsers
        self.rules = rules
        self.log = log
        # Read once: settings do not change while the process runs.
        self.secrets = {name: settings.secrets_for(name) for name in parsers}
        self.outcomes = HotCounter(
            meter,
            "ingest.deliveries",
            ("source", "outcome"),
            "Webhook deliveries by source and outcome",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        source = scope["path"].removeprefix(WEBHOOKS)
        try:
            outcome, status, content, headers = await self.answer(scope, receive, source)
        except ClientGone:
            return
        except Exception as exc:
            # Served outside FastAPI's error middleware: answer as its last resort would, so
            # the vendor retries later, and keep the error on the request's span.
            logger.exception("unhandled error", exc_info=exc)
            trace.get_current_span().record_exception(exc)
            retry = {"Retry-After": "5"}
            outcome, status, content, headers = failure(
                "error", 503, "Temporarily unavailable", headers=retry
            )
        self.outcomes.add((source, outcome))
        # Accepted deliveries are the bulk and are counted above; a line each is for debugging.
        level = logging.DEBUG if outcome == "accepted" else logging.INFO
        if logger.isEnabledFor(level):
            fields = log_fields(source=source, outcome=outcome, status=status)
            logger.log(level, "delivery %s", outcome, extra=fields)
        media = "application/json" if status < 300 else PROBLEM_JSON
        body = _encode(content).encode()
        raw_headers = [(b"content-type", media.encode()), (b"content-length", b"%d" % len(body))]
        raw_headers += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": body})

    async def answer(self, scope: Scope, receive: Receive, source: str) -> Answer:
        if scope["method"] != "POST":
            return failure("wrong_method", 405, "Method Not Allowed", headers={"Allow": "POST"})
        parser = self.parsers.get(source)
        if parser is None:
            return failure("unknown_source", 404, "Unknown source", source)
        secrets = self.secrets[source]
        if not secrets:
            detail = f"set INGEST_{source.upper()}_SECRET to enable this source"
            return failure("not_configured", 404, "Source not enabled", detail)
        # ASGI servers lower-case header names; a repeated header keeps its last value.
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        if not is_json(headers.get("content-type")):
            detail = "send the webhook as application/json"
            return failure("unsupported_media", 415, "Unsupported media type", detail)
        limit = self.settings.max_body_bytes
        try:
            body = await read_limited(receive, headers.get("content-length"), limit)
        except BodyTooLarge:
            detail = f"limit is {limit} bytes (INGEST_MAX_BODY_BYTES)"
            return failure("too_large", 413, "Payload too large", detail)
        now = datetime.now(UTC)
        delivery = Delivery(source=source, headers=headers, body=body, received_at=now)
        client = scope.get("client")
        return await self.receive(delivery, parser, secrets, now, client[0] if client else "")

    def rejected(self, address: str, reason: str) -> Answer:
        """401, or 429 once the address has failed too often lately.

        Every request is still verified, limited address or not: one HMAC over the body costs
        microseconds, and vendors send from shared egress addresses, so refusing an address
        outright would refuse a correctly configured hook for a misconfigured neighbour's.
        """
        now = self.clock()
        self.bad_signatures.record(address, now)
        wait = self.bad_signatures.retry_after(address, now)
        if wait is None:
            return failure("bad_signature", 401, "Signature rejected", reason)
        detail = f"too many rejected signatures from {address}; retry after {wait}s"
        return failure("rate_limited", 429, "Too many bad signatures", detail,
                       {"Retry-After": str(wait)})  # fmt: skip

    async def receive(
        self,
        delivery: Delivery,
        parser: SourceParser,
        secrets: tuple[str, ...],
        now: datetime,
        address: str = "",
    ) -> Answer:
        try:
            log = self.log()
            receipt = await receive_delivery(
                delivery, parser, secrets, self.rules, log, now, self.accepted
            )
        except VerificationFailed as exc:
            return self.rejected(address, exc.reason)
        except NotJsonObject as exc:
            return failure("not_json", 400, "Malformed body", str(exc))
        except Uninterpretable as exc:
            detail = f"{exc.reason}; the delivery was kept for replay"
            return failure("uninterpretable", 422, "Cannot interpret", detail)
        except PublishUnavailable as exc:
            logger.warning("publish unavailable", extra=log_fields(error=str(exc)))
            retry = {"Retry-After": str(self.settings.retry_after_seconds)}
            return failure("unavailable", 503, "Try again later", headers=retry)
        return accepted(receipt)
