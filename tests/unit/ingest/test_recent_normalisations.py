"""The in-process normaliser reuses what the request normalised, and only for that delivery."""

from __future__ import annotations

import uuid
from datetime import timedelta

from nats.aio.msg import Msg
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.trace import TracerProvider

from services.ingest.adapters.jetstream import delivery_headers
from services.ingest.adapters.recent import RecentNormalisations
from services.ingest.config import IngestSettings
from services.ingest.domain import SOURCES, Delivery, Normalised, SourceRules
from services.ingest.handlers import Verdict, receive_delivery
from services.ingest.subscribers import raw_decoder
from shared.telemetry import Telemetry
from tests.support.ingest import InMemoryDeliveryLog
from tests.unit.ingest.support import SECRET, delivery, fixture, hex_signature, ingest


def github_delivery(body: bytes | None = None) -> tuple[Delivery, str]:
    body = body or fixture("github/issues.opened.json")
    delivery_id = str(uuid.uuid4())
    headers = {
        "X-GitHub-Event": "issues",
        "X-GitHub-Delivery": delivery_id,
        "X-Hub-Signature-256": "sha256=" + hex_signature(body),
    }
    return delivery("github", body, headers), delivery_id


def stored(item: Delivery, delivery_id: str) -> tuple[dict[str, str], bytes]:
    return delivery_headers(item, delivery_id), item.body


def test_a_remembered_delivery_is_recalled_once() -> None:
    recent = RecentNormalisations()
    item, delivery_id = github_delivery()
    normalised = ingest(item)
    recent.remember(item, delivery_id, normalised)
    assert recent.recall(*stored(item, delivery_id)) is normalised
    assert recent.recall(*stored(item, delivery_id)) is None


def test_same_id_with_other_bytes_or_receipt_time_is_not_recalled() -> None:
    recent = RecentNormalisations()
    item, delivery_id = github_delivery()
    later = Delivery(item.source, item.headers, item.body, item.received_at + timedelta(days=4))
    recent.remember(item, delivery_id, ingest(item))
    assert recent.recall(stored(item, delivery_id)[0], item.body + b" ") is None
    recent.remember(item, delivery_id, ingest(item))
    assert recent.recall(*stored(later, delivery_id)) is None


def test_the_oldest_entries_are_forgotten_beyond_the_bounds() -> None:
    recent = RecentNormalisations(max_entries=2, max_bytes=10**9)
    items = [github_delivery() for _ in range(3)]
    for item, delivery_id in items:
        recent.remember(item, delivery_id, Normalised(delivery_id, ()))
    assert len(recent) == 2
    assert recent.recall(*stored(*items[0])) is None
    assert recent.recall(*stored(*items[2])) is not None


def test_the_memory_stays_within_its_byte_budget() -> None:
    item, _ = github_delivery()
    recent = RecentNormalisations(max_entries=100, max_bytes=len(item.body) * 2)
    for _ in range(5):
        extra, delivery_id = github_delivery()
        recent.remember(extra, delivery_id, Normalised(delivery_id, ()))
    assert len(recent) == 2
    assert recent.size <= len(item.body) * 2


def test_normaliser_publishes_the_same_events_with_or_without_the_memory() -> None:
    telemetry = Telemetry("ingest", TracerProvider(), NoOpMeterProvider())
    settings = IngestSettings()
    item, delivery_id = github_delivery()
    headers, body = stored(item, delivery_id)
    message = Msg(None, subject="raw.github", data=body, headers=headers)  # type: ignore[arg-type]
    recent = RecentNormalisations()
    normalised = ingest(item)
    recent.remember(item, delivery_id, normalised)
    reused = raw_decoder(SOURCES, settings, telemetry, recent)(message)
    fresh = raw_decoder(SOURCES, settings, telemetry)(message)
    assert [e.event for e in reused] == [e.event for e in fresh] == list(normalised.events)
    assert len(recent) == 0


async def test_only_a_newly_stored_delivery_is_remembered() -> None:
    recent, log = RecentNormalisations(), InMemoryDeliveryLog()
    item, delivery_id = github_delivery()
    args = (item, SOURCES["github"], [SECRET], SourceRules(), log, item.received_at, recent)
    await receive_delivery(*args)
    retried = await receive_delivery(*args)
    assert retried.verdict == Verdict.DUPLICATE
    assert len(recent) == 1
    assert recent.recall(*stored(item, delivery_id)) is not None
