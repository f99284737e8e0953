"""Publishing a pass's risk changes (and its releases'): in atomic batches where the stream
allows, else one by one with a window; each part's documents stored while the next part is
published."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from opentelemetry import context as otel_context

from services.scheduler.mirror import WRITE_SLICE, AssessmentMirror, Reassessment
from shared.batch_publishing import (
    FEWEST_FOR_A_BATCH,
    MOST_IN_A_BATCH,
    AtomicBatches,
    BatchRefused,
    Publication,
)
from shared.concurrency import all_of
from shared.events import Event, RiskChangedV1
from shared.publishing import EventPublisher
from shared.telemetry import log_fields

logger = logging.getLogger(__name__)

Announcement = tuple[RiskChangedV1, otel_context.Context | None]
# Publishes in flight at once. Each waits for an fsync'd ack and the server syncs one after
# another, so a few in flight already keep it busy; more only queue each publish longer
# (12,000 at once, a first start's burst, outlasted the publish timeout and every one failed).
PUBLISH_WINDOW = 32
# A publish that timed out may or may not be stored; again under the same ``Nats-Msg-Id`` it
# is stored once either way. Retrying the one beats failing a first start's whole burst, whose
# retry reloads the portfolio and publishes every announcement again.
PUBLISH_ATTEMPTS = 3


async def publish_pipelined(
    publisher: EventPublisher, announcements: Sequence[Publication], window: int = PUBLISH_WINDOW
) -> None:
    """Publish every announcement with at most ``window`` unacknowledged; all acked on return.

    A failure cancels the rest (a task group, not ``gather``, which would leave them running
    into the retry); the retry publishes them all again under the same ids, deduplicated.
    """
    slots = asyncio.Semaphore(window)

    async def one(event: Event, context: otel_context.Context | None) -> None:
        async with slots:
            for attempt in range(1, PUBLISH_ATTEMPTS + 1):
                try:
                    await publisher.publish(event, context)
                    return
                except TimeoutError:
                    if attempt == PUBLISH_ATTEMPTS:
                        raise
                    logger.warning(
                        "publish timed out; again",
                        extra=log_fields(event_id=event.event_id, attempt=attempt),
                    )

    await all_of(*(one(event, context) for event, context in announcements))


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


async def publish_in_batches(
    batches: AtomicBatches | None, publisher: EventPublisher, announcements: Sequence[Publication]
) -> None:
    """Every announcement acked on return: in atomic batches, or one by one for a batch the
    stream refuses (one it has stored some of already: a retry) or whose commit timed out
    (stored or not, the one-by-one publishes store each once), and for a few, which one by
    one are sooner."""
    for start in range(0, len(announcements), MOST_IN_A_BATCH):
        batch = announcements[start : start + MOST_IN_A_BATCH]
        if batches is None or len(batch) < FEWEST_FOR_A_BATCH:
            await publish_pipelined(publisher, batch)
            continue
        try:
            await batches.commit(batch)
        except (BatchRefused, TimeoutError) as exc:
            logger.info(
                "risk changes published one by one",
                extra=log_fields(events=len(batch), reason=str(exc) or type(exc).__name__),
            )
            await publish_pipelined(publisher, batch)
