"""Ingest's delivery log: each delivery kept once, a vendor retry recognised as one.

Run against the in-memory fake and the JetStream adapter on the real NATS server started by
``tests/conftest.py`` (this port's real home is a stream, not MongoDB).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.trace import TracerProvider

from services.ingest.adapters.jetstream import JetStreamDeliveryLog
from services.ingest.domain import Delivery
from services.ingest.ports import DeliveryLog, PublishUnavailable
from shared.broker import create_broker, ensure_streams
from shared.settings import ServiceSettings
from shared.telemetry import Telemetry
from tests.support.ingest import InMemoryDeliveryLog

pytestmark = pytest.mark.contract

RECEIVED = datetime(2026, 11, 25, 9, tzinfo=UTC)


def jetstream_log(nats_url: str) -> JetStreamDeliveryLog:
    settings = ServiceSettings(service_name="contract", nats_url=nats_url)
    telemetry = Telemetry("contract", TracerProvider(), NoOpMeterProvider())
    broker = create_broker(settings, telemetry)
    return JetStreamDeliveryLog(broker, 5.0, NoOpMeterProvider().get_meter("contract"))


@pytest.fixture(params=["in-memory", "jetstream"])
async def log(request: pytest.FixtureRequest) -> AsyncIterator[DeliveryLog]:
    if request.param == "in-memory":
        yield InMemoryDeliveryLog()
        return
    adapter = jetstream_log(request.getfixturevalue("nats_url"))
    await adapter.broker.connect()
    await ensure_streams(adapter.broker.connection.jetstream(), replicas=1)
    yield adapter
    await adapter.broker.stop()


@pytest.fixture(params=["in-memory", "jetstream"])
def unreachable_log(request: pytest.FixtureRequest) -> DeliveryLog:
    if request.param == "in-memory":
        return InMemoryDeliveryLog(unavailable=True)
    return jetstream_log("nats://127.0.0.1:1")  # never connected


def delivery(source: str = "github", body: bytes = b"{}", **headers: str) -> Delivery:
    return Delivery(source, {"content-type": "application/json", **headers}, body, RECEIVED)


async def test_a_delivery_is_new_once_and_a_retry_is_recognised(
    log: DeliveryLog, unique: str
) -> None:
    assert not await log.keep(delivery(), f"d-{unique}")
    assert await log.keep(delivery(), f"d-{unique}")
    assert not await log.keep(delivery(), f"other-{unique}")


async def test_the_same_id_from_another_source_is_another_delivery(
    log: DeliveryLog, unique: str
) -> None:
    assert not await log.keep(delivery("github"), f"d-{unique}")
    assert not await log.keep(delivery("jira"), f"d-{unique}")


async def test_ids_and_headers_unfit_for_nats_are_kept_all_the_same(
    log: DeliveryLog, unique: str
) -> None:
    vendor = delivery(body="naïve ✓".encode(), **{"x-note": "café\tau lait"})
    long_id, odd_id = f"{unique}-" + "x" * 300, f"{unique}-ünïcode\n"
    assert not await log.keep(vendor, long_id)
    assert not await log.keep(vendor, odd_id)
    assert await log.keep(vendor, long_id)
    assert await log.keep(vendor, odd_id)


async def test_an_unreachable_log_says_so_instead_of_losing_the_delivery(
    unreachable_log: DeliveryLog, unique: str
) -> None:
    with pytest.raises(PublishUnavailable):
        await unreachable_log.keep(delivery(), f"d-{unique}")
