"""Publishing a pass's risk changes part by part, each part's documents stored while the next
part is published (``shared.batch_publishing`` publishes each part)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from opentelemetry import context as otel_context

from services.scheduler.mirror import WRITE_SLICE, AssessmentMirror, Reassessment
from shared.concurrency import all_of
from shared.events import RiskChangedV1

Announcement = tuple[RiskChangedV1, otel_context.Context | None]


async def publish_then_store(
    publish: Callable[[list[Announcement]], Coroutine[Any, Any, None]],
    mirror: AssessmentMirror,
    announcements: list[Announcement],
    result: Reassessment,
    part: int = WRITE_SLICE,
) -> None:
    """Publish the announcements ``part`` at a time, each part's history and documents
    stored (``store_announced``) while the next part is published.

    NATS syncs every publish and the database every write, one after the other, and neither
    waits for the other: a first start's 60,000 announcements took 25 s to publish and 35 s
    to store after the last ack, and now take about as long as the slower of the two.
    """
    storing: Coroutine[Any, Any, None] | None = None
    for start in range(0, len(announcements), part):
        publishing = publish(announcements[start : start + part])
        await (publishing if storing is None else all_of(publishing, storing))
        storing = mirror.store_announced(result, min(start + part, len(announcements)))
    if storing is not None:
        await storing
