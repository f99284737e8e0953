"""Event builders and a recording publisher for the scheduler's application-layer tests."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared.events import (
    DependencyAddedV1,
    DependencyRemovedV1,
    Event,
    ItemChangedV1,
    ItemRemovedV1,
    ItemScheduleChangedV1,
    ItemStatus,
    ReleaseChangedV1,
    ReleaseState,
    RiskChangedV1,
    ScheduleField,
    derive_event_id,
)
from shared.telemetry import Telemetry

TODAY = date(2026, 3, 2)
T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


def item(item_id: str, minute: int = 0, target: int | None = 20, **fields: Any) -> ItemChangedV1:
    return ItemChangedV1(
        event_id=derive_event_id("item", item_id, str(minute), repr(sorted(fields.items()))),
        occurred_at=at(minute),
        source="jira",
        item_id=item_id,
        title=fields.pop("title", item_id),
        status=fields.pop("status", ItemStatus.IN_PROGRESS),
        source_updated_at=at(minute),
        target=None if target is None else day(target),
        **fields,
    )


def schedule(
    ref: str, minute: int, start: int | None = None, target: int | None = None, *fields: str
) -> ItemScheduleChangedV1:
    """A plan for ``ref``; ``fields`` defaults to those given a day (pass them to clear)."""
    named = fields or tuple(f for f, v in (("start", start), ("target", target)) if v is not None)
    return ItemScheduleChangedV1(
        event_id=derive_event_id("schedule", ref, str(minute), repr((start, target, named))),
        occurred_at=at(minute),
        source="github",
        item_ref=ref,
        fields=tuple(ScheduleField(f) for f in named),
        source_updated_at=at(minute),
        start=None if start is None else day(start),
        target=None if target is None else day(target),
    )


def removed(item_id: str, minute: int) -> ItemRemovedV1:
    return ItemRemovedV1(
        event_id=derive_event_id("removed", item_id, str(minute)),
        occurred_at=at(minute),
        source="jira",
        item_id=item_id,
        source_updated_at=at(minute),
    )


def edge(
    blocker: str, blocked: str, minute: int, present: bool = True, origin: str | None = None
) -> Event:
    cls = DependencyAddedV1 if present else DependencyRemovedV1
    return cls(
        event_id=derive_event_id("edge", blocker, blocked, str(minute), str(present)),
        occurred_at=at(minute),
        source="github",
        blocker_id=blocker,
        blocked_id=blocked,
        source_updated_at=at(minute),
        origin=origin,
    )


def release(release_id: str, due: int, minute: int = 0) -> ReleaseChangedV1:
    return ReleaseChangedV1(
        event_id=derive_event_id("release", release_id, str(minute)),
        occurred_at=at(minute),
        source="jira",
        release_id=release_id,
        name=f"Release {release_id}",
        state=ReleaseState.OPEN,
        source_updated_at=at(minute),
        due=day(due),
    )


class RecordingPublisher:
    """Keeps what would have gone to JetStream; can be told to fail the next publishes."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.failures = 0

    async def publish(self, event: Event, context: otel_context.Context | None = None) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("JetStream did not answer")
        self.events.append(event)

    async def publish_raw(self, subject: str, body: bytes, headers: Mapping[str, str]) -> None:
        raise AssertionError("nothing should be dead-lettered here")

    def risk(self, item_id: str | None = None) -> list[RiskChangedV1]:
        found = [e for e in self.events if isinstance(e, RiskChangedV1)]
        return [e for e in found if item_id is None or e.item_id == item_id]


def telemetry() -> tuple[Telemetry, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return Telemetry("scheduler", provider, NoOpMeterProvider()), exporter
