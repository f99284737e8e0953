"""Shared arrange steps for the ingest domain tests: fixtures, clocks and signing."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from services.ingest.domain import SOURCES, Delivery, Normalised, SourceRules
from services.ingest.handlers import parse_object

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "webhooks"
RECEIVED = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
SECRET = "test-secret-for-unit-tests"
OTHER_SECRET = "the-secret-before-rotation"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(fixture(name))
    return loaded


def as_body(payload: Mapping[str, object]) -> bytes:
    return json.dumps(payload).encode()


def hex_signature(body: bytes, secret: str = SECRET, digest: str = "sha256") -> str:
    return hmac.new(secret.encode(), body, getattr(hashlib, digest)).hexdigest()


def delivery(
    source: str, body: bytes, headers: Mapping[str, str], received_at: datetime = RECEIVED
) -> Delivery:
    return Delivery(source, {k.lower(): v for k, v in headers.items()}, body, received_at)


def ingest(
    item: Delivery,
    rules: SourceRules | None = None,
    now: datetime | None = None,
    secret: str = SECRET,
) -> Normalised:
    """Everything the HTTP layer will do with a delivery, in order."""
    parser = SOURCES[item.source]
    parser.verify(item, [secret], now or item.received_at)
    payload = parse_object(item.body)
    delivery_id = parser.delivery_id(item, payload)
    return parser.normalise(item, payload, delivery_id, rules or SourceRules())
