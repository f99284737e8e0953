"""``POST /webhooks/{source}``: status codes are the contract with every vendor's retry logic."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from opentelemetry.metrics import Meter

from services.ingest.config import IngestSettings
from services.ingest.domain import (
    Delivery,
    SourceAdapter,
    SourceRules,
    Uninterpretable,
    VerificationFailed,
)
from services.ingest.handlers import NotJsonObject, receive_delivery
from services.ingest.ports import DeliveryLog, PublishUnavailable
from shared.http import problem
from shared.telemetry import log_fields

logger = logging.getLogger(__name__)


class BodyTooLarge(Exception):
    pass


async def read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def webhook_router(
    settings: IngestSettings,
    adapters: Mapping[str, SourceAdapter],
    rules: SourceRules,
    log: Callable[[], DeliveryLog],
    meter: Meter,
) -> APIRouter:
    router = APIRouter()
    outcomes = meter.create_counter(
        "ingest.deliveries", description="Webhook deliveries by source and outcome"
    )

    def answer(source: str, outcome: str, response: Response) -> Response:
        outcomes.add(1, {"source": source, "outcome": outcome})
        # Accepted deliveries are the bulk and are counted above; a line each is for debugging.
        level = logging.DEBUG if outcome == "accepted" else logging.INFO
        logger.log(
            level,
            "delivery %s",
            outcome,
            extra=log_fields(source=source, outcome=outcome, status=response.status_code),
        )
        return response

    @router.post("/webhooks/{source}", status_code=202)
    async def receive(request: Request) -> Response:
        # Read from the path directly: FastAPI's parameter validation of a plain str costs
        # more per request than the signature check, on the one hot endpoint.
        source: str = request.path_params["source"]
        adapter = adapters.get(source)
        if adapter is None:
            return answer(source, "unknown_source", problem(404, "Unknown source", source))
        secrets = settings.secrets_for(source)
        if not secrets:
            detail = f"set INGEST_{source.upper()}_SECRET to enable this source"
            return answer(source, "not_configured", problem(404, "Source not enabled", detail))
        if not is_json(request.headers.get("content-type")):
            detail = "send the webhook as application/json"
            return answer(
                source, "unsupported_media", problem(415, "Unsupported media type", detail)
            )
        try:
            body = await read_limited(request, settings.max_body_bytes)
        except BodyTooLarge:
            detail = f"limit is {settings.max_body_bytes} bytes (INGEST_MAX_BODY_BYTES)"
            return answer(source, "too_large", problem(413, "Payload too large", detail))
        now = datetime.now(UTC)
        headers = {k.lower(): v for k, v in request.headers.items()}
        delivery = Delivery(source=source, headers=headers, body=body, received_at=now)
        try:
            receipt = await receive_delivery(delivery, adapter, secrets, rules, log(), now)
        except VerificationFailed as exc:
            return answer(source, "bad_signature", problem(401, "Signature rejected", exc.reason))
        except NotJsonObject as exc:
            return answer(source, "not_json", problem(400, "Malformed body", str(exc)))
        except Uninterpretable as exc:
            detail = f"{exc.reason}; the delivery was kept for replay"
            return answer(source, "uninterpretable", problem(422, "Cannot interpret", detail))
        except PublishUnavailable as exc:
            logger.warning("publish unavailable", extra=log_fields(error=str(exc)))
            retry = {"Retry-After": str(settings.retry_after_seconds)}
            return answer(source, "unavailable", problem(503, "Try again later", headers=retry))
        content = {
            "status": receipt.verdict.value,
            "delivery_id": receipt.delivery_id,
            "events": receipt.events,
        }
        if receipt.reason:
            content["reason"] = receipt.reason
        return answer(source, receipt.verdict.value, JSONResponse(content, status_code=202))

    return router
