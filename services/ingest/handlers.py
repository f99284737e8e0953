"""The ingest use cases: accept a vendor delivery durably, and say what a kept one means.

A delivery is verified, parsed and normalised while the vendor waits, so bad input is answered
at once (401, 400, 422); then only its raw bytes are stored before the 202. The canonical events
are published afterwards, from the stored delivery, by the normaliser (and again by a replay),
which run ``interpret_kept`` on the same bytes and headers and so derive the same event ids.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from services.ingest.domain import (
    Delivery,
    Normalised,
    SourceParser,
    SourceRules,
    Uninterpretable,
)
from services.ingest.ports import AcceptedNormalisations, DeliveryLog
from shared.telemetry import log_fields

logger = logging.getLogger(__name__)


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
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise NotJsonObject(f"body is not JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise NotJsonObject(f"body is JSON but a {type(payload).__name__}, not an object")
    return payload


def interpret(
    parser: SourceParser,
    delivery: Delivery,
    payload: Mapping[str, Any],
    delivery_id: str,
    rules: SourceRules,
) -> Normalised:
    try:
        return parser.normalise(delivery, payload, delivery_id, rules)
    except Uninterpretable:
        raise
    except Exception as exc:
        # A normaliser bug on one odd payload must not make the vendor retry forever: keep the
        # delivery, dead-letter it with the error, and replay it once the normaliser is fixed.
        logger.exception("normaliser failed", extra=log_fields(source=delivery.source))
        raise Uninterpretable(f"normaliser failed: {exc!r}") from exc


async def receive_delivery(
    delivery: Delivery,
    parser: SourceParser,
    secrets: Sequence[str],
    rules: SourceRules,
    log: DeliveryLog,
    now: datetime,
    accepted: AcceptedNormalisations | None = None,
) -> Receipt:
    """Raises VerificationFailed, NotJsonObject, Uninterpretable or PublishUnavailable.

    Verification runs on the raw bytes before anything parses them. A delivery we cannot
    interpret is kept all the same: the normaliser dead-letters it with the reason, and a
    replay with a fixed normaliser can still read it.
    """
    parser.verify(delivery, secrets, now)
    payload = parse_object(delivery.body)
    delivery_id = parser.delivery_id(delivery, payload)
    try:
        normalised = interpret(parser, delivery, payload, delivery_id, rules)
    except Uninterpretable:
        await log.keep(delivery, delivery_id)
        raise
    if await log.keep(delivery, delivery_id):
        return Receipt(Verdict.DUPLICATE, delivery_id, 0, "delivery already accepted")
    if accepted is not None:
        accepted.remember(delivery, delivery_id, normalised)
    if not normalised.events:
        return Receipt(Verdict.IGNORED, delivery_id, 0, normalised.ignored)
    return Receipt(Verdict.ACCEPTED, delivery_id, len(normalised.events))


def interpret_kept(delivery: Delivery, parser: SourceParser, rules: SourceRules) -> Normalised:
    """What a stored delivery means under the current code; raises Uninterpretable.

    No verification: it was verified when received, and its timestamp has aged since.
    """
    try:
        payload = parse_object(delivery.body)
    except NotJsonObject as exc:
        raise Uninterpretable(str(exc)) from exc
    delivery_id = parser.delivery_id(delivery, payload)
    return interpret(parser, delivery, payload, delivery_id, rules)
