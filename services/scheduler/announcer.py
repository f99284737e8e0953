"""Re-evaluate, announce what a person would notice, then store: one path for every trigger.

Batches of events, the timer's re-check and start-up reconciliation all end here, so each gets
the same span, metrics and ordering (publish before store; see ``mirror``).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from datetime import datetime
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.metrics import CallbackOptions, Observation

from services.scheduler.dashboard.live import RiskFeed
from services.scheduler.domain import AssessmentChange
from services.scheduler.handlers import risk_changed
from services.scheduler.history import history_document
from services.scheduler.history_checkpoints import HistoryCheckpoints
from services.scheduler.live_portfolio import LivePortfolio
from services.scheduler.mirror import ANNOUNCED_AS, WRITE_SLICE, AssessmentMirror, Reassessment
from services.scheduler.ports import WorkStore
from services.scheduler.release_watch import ReleaseWatch
from services.scheduler.waiting import told_with_waiting
from shared.concurrency import all_of
from shared.events import RiskChangedV1, RiskLevel
from shared.publishing import EventPublisher
from shared.telemetry import Telemetry, log_fields

logger = logging.getLogger(__name__)

# The trace an announcement continues (the event that caused it), or None for a new trace.
Cause = Callable[[AssessmentChange], otel_context.Context | None]
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
    publisher: EventPublisher, announcements: list[Announcement], window: int = PUBLISH_WINDOW
) -> None:
    """Publish every announcement with at most ``window`` unacknowledged; all acked on return.

    A failure cancels the rest (a task group, not ``gather``, which would leave them running
    into the retry); the retry publishes them all again under the same ids, deduplicated.
    """
    slots = asyncio.Semaphore(window)

    async def one(event: RiskChangedV1, context: otel_context.Context | None) -> None:
        async with slots:
            for attempt in range(1, PUBLISH_ATTEMPTS + 1):
                try:
                    await publisher.publish(event, context)
                    return
                except TimeoutError:
                    if attempt == PUBLISH_ATTEMPTS:
                        raise
                    logger.warning(
                        "risk change publish timed out; again",
                        extra=log_fields(event_id=event.event_id, attempt=attempt),
                    )

    await all_of(*(one(event, context) for event, context in announcements))


async def publish_then_store(
    publisher: EventPublisher,
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
        publishing = publish_pipelined(publisher, announcements[start : start + part])
        await (publishing if storing is None else all_of(publishing, storing))
        storing = mirror.store_announced(result, min(start + part, len(announcements)))
    if storing is not None:
        await storing


class RiskAnnouncer:
    # How many announcements are published before their documents start being stored.
    announce_part = WRITE_SLICE

    def __init__(
        self,
        live: LivePortfolio,
        mirror: AssessmentMirror,
        publisher: EventPublisher,
        telemetry: Telemetry,
        feed: RiskFeed | None = None,
        releases: ReleaseWatch | None = None,
        checkpoints: HistoryCheckpoints | None = None,
        work: WorkStore | None = None,
    ) -> None:
        self.live = live
        self.releases = releases
        self.checkpoints = checkpoints
        # Where who waits on an item is read (``waiting``), when announcing says so.
        self.work = work
        self.feed = feed
        self.mirror = mirror
        self.publisher = publisher
        self.tracer = telemetry.tracer
        meter = telemetry.meter
        self.published = meter.create_counter(
            "slipstream.risk.changes_published", unit="{event}", description="by new level"
        )
        self.duration = meter.create_histogram(
            "slipstream.risk.reassessment.duration", unit="s", description="by trigger"
        )
        meter.create_observable_gauge(
            "slipstream.risk.items",
            callbacks=[self.count_levels],
            unit="{item}",
            description="Items by risk level, as last stored",
        )

    def count_levels(self, _: CallbackOptions) -> Iterable[Observation]:
        # tuple() copies in one step under the GIL: the OTLP reader calls this from its own
        # thread while a commit may be changing the dict.
        stored = tuple(self.mirror.stored.values())
        counts = Counter(document.get("level") for document in stored)
        return [Observation(counts[level.value], {"level": level.value}) for level in RiskLevel]

    def _prepare(self, cause: Cause, now: datetime) -> tuple[Reassessment, list[Announcement]]:
        """The diff against the store, its announcements and their history entries (pure CPU)."""
        result = self.mirror.diff(self.live.portfolio)
        announcements = []
        for change in result.changes:
            previous = self.mirror.stored.get(change.item_id, {}).get(ANNOUNCED_AS)
            event = risk_changed(change, self.live.portfolio, previous, now)
            announcements.append((event, cause(change)))
            result.history.append(history_document(event))
            if (document := result.upserts.get(change.item_id)) is not None:
                document[ANNOUNCED_AS] = event.event_id
        return result, announcements

    async def _told_with_waiting(self, announcements: list[Announcement]) -> list[Announcement]:
        if self.work is None or not announcements:
            return announcements
        events = [event for event, _ in announcements]
        told = await told_with_waiting(events, self.live.portfolio, self.work)
        return [(event, cause) for event, (_, cause) in zip(told, announcements, strict=True)]

    async def reassess(
        self, trigger: str, recompute: Callable[[], Awaitable[object]], cause: Cause, now: datetime
    ) -> int:
        """Run ``recompute`` on the live portfolio, announce and store; returns changes.

        The caller holds ``live.lock``: the portfolio, mirror and store must move together.
        """
        started = time.perf_counter()
        with self.tracer.start_as_current_span(f"reassess risk ({trigger})") as span:
            await recompute()
            recomputed = time.perf_counter()
            # A thread, because after a reload the diff builds a document for every item and
            # the first start announces one event per item at risk (12,000 at 100,000 items).
            result, announcements = await asyncio.to_thread(self._prepare, cause, now)
            announcements = await self._told_with_waiting(announcements)
            # Publish before store (see ``mirror``): an announced item's document and history
            # are stored once its event is acked, while later events are still published.
            prepared = time.perf_counter()
            # The release check is before the commit too (a failure repeats the pass, and this
            # check with it), but owes nothing to the risk changes: it runs beside them, as
            # does storing the documents that announce nothing.
            work: list[Coroutine[Any, Any, object]] = [
                publish_then_store(
                    self.publisher, self.mirror, announcements, result, self.announce_part
                ),
                self.mirror.store_quiet(result),
            ]
            if self.releases is not None:
                live, stored = self.live.portfolio, self.mirror.stored
                work.append(self.releases.announce(trigger, live, result, stored, now))
            await all_of(*work)
            published = time.perf_counter()
            for event, _ in announcements:
                self.published.add(1, {"level": event.level.value, "trigger": trigger})
            await self.mirror.commit(result)
            if self.checkpoints is not None:
                self.checkpoints.nudge(now)
            if self.feed is not None:
                # After the store: a page told to look again must find the new answer.
                self.feed.announce([*(c.item_id for c in result.changes), *result.removals])
            span.set_attribute("slipstream.risk.items_reevaluated", result.reevaluated)
            span.set_attribute("slipstream.risk.changes", len(result.changes))
            span.set_attribute("slipstream.risk.documents_written", len(result.upserts))
            span.set_attribute("slipstream.risk.history_entries", len(result.history))
        elapsed = time.perf_counter() - started
        self.duration.record(elapsed, {"trigger": trigger})
        if result.changes or result.removals:
            logger.info(
                "risk reassessed",
                extra=log_fields(
                    trigger=trigger,
                    reevaluated=result.reevaluated,
                    changes=len(result.changes),
                    written=len(result.upserts),
                    removed=len(result.removals),
                    seconds=round(elapsed, 4),
                    # Where a long one went: engine, diff and events, publishing, storing.
                    phases=[
                        round(b - a, 3)
                        for a, b in itertools.pairwise(
                            (started, recomputed, prepared, published, started + elapsed)
                        )
                    ],
                ),
            )
        return len(result.changes)
