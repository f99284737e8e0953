"""The one ingest use case: verify, parse, normalise and durably accept a vendor delivery."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from services.ingest.domain import Delivery, SourceAdapter, SourceRules, Uninterpretable
from services.ingest.ports import DeliveryLog


class NotJsonObject(Exception):
    """The body is not a JSON object; nothing else can be said about it."""


class Verdict(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"


@dataclass(frozen=True)
class Receipt:
    verdict: Verdict
    delivery_id: str
    events: int
    reason: str | None = None


def parse_object(body: bytes) -> Mapping[str, Any]:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NotJsonObject(f"body is not JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise NotJsonObject(f"body is JSON but a {type(payload).__name__}, not an object")
    return payload


async def receive_delivery(
    delivery: Delivery,
    adapter: SourceAdapter,
    secrets: Sequence[str],
    rules: SourceRules,
    log: DeliveryLog,
    now: datetime,
) -> Receipt:
    """Raises VerificationFailed, NotJsonObject, Uninterpretable or PublishUnavailable.

    Verification runs on the raw bytes before anything parses them. A delivery we cannot
    interpret is still kept (dead-lettered with the reason) so a fixed normaliser can replay it.
    """
    adapter.verify(delivery, secrets, now)
    payload = parse_object(delivery.body)
    delivery_id = adapter.delivery_id(delivery, payload)
    try:
        normalised = adapter.normalise(delivery, payload, delivery_id, rules)
    except Uninterpretable as exc:
        await log.dead_letter(delivery, delivery_id, exc.reason)
        raise
    seen_before = await log.accept(delivery, delivery_id, normalised.events)
    if seen_before:
        return Receipt(Verdict.DUPLICATE, delivery_id, 0, "delivery already accepted")
    if not normalised.events:
        return Receipt(Verdict.IGNORED, delivery_id, 0, normalised.ignored)
    return Receipt(Verdict.ACCEPTED, delivery_id, len(normalised.events))
