"""The dashboard's live feed: every open page hears each change, a slow page drops old news."""

from __future__ import annotations

import asyncio
import json

import pytest

from services.scheduler.dashboard.live import QUEUE_SIZE, RiskFeed

pytestmark = pytest.mark.unit


def risk_items(frame: str) -> list[str]:
    event, data = frame.strip().split("\n")
    assert event == "event: risk"
    return list(json.loads(data.removeprefix("data: "))["items"])


async def test_every_open_page_hears_each_change_once() -> None:
    feed = RiskFeed()
    first, second = feed.events(), feed.events()
    assert (await anext(first)).startswith("retry:")
    assert (await anext(second)).startswith("retry:")
    feed.announce(["b", "a", "b"])
    assert risk_items(await anext(first)) == ["a", "b"]
    assert risk_items(await anext(second)) == ["a", "b"]


async def test_nothing_changed_is_not_announced_and_silence_keeps_the_stream_open() -> None:
    feed = RiskFeed()
    stream = feed.events(keepalive=0.01)
    await anext(stream)
    feed.announce([])
    assert await anext(stream) == ": keepalive\n\n"


async def test_a_page_that_falls_behind_keeps_the_newest_notices() -> None:
    feed = RiskFeed()
    stream = feed.events()
    await anext(stream)
    for n in range(QUEUE_SIZE + 3):
        feed.announce([f"item-{n}"])
    assert risk_items(await anext(stream)) == ["item-3"]


async def test_a_closed_page_stops_listening() -> None:
    feed = RiskFeed()
    stream = feed.events()
    await anext(stream)
    assert len(feed.listeners) == 1
    await stream.aclose()
    assert feed.listeners == set()
    feed.announce(["a"])
    await asyncio.sleep(0)


async def test_open_streams_and_notices_are_counted() -> None:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    reader = InMemoryMetricReader()
    feed = RiskFeed(MeterProvider(metric_readers=[reader]).get_meter("test"))
    stream = feed.events()
    await anext(stream)
    feed.announce(["a"])
    data = reader.get_metrics_data()
    assert data is not None
    points = {
        metric.name: sum(p.value for p in metric.data.data_points)  # type: ignore[attr-defined]
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    }
    assert points == {"slipstream.dashboard.streams": 1, "slipstream.dashboard.notices": 1}
