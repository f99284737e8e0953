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
from services.scheduler.risk_publishing import Announcement, publish_then_store
from services.scheduler.waiting import told_with_waiting
from shared.batch_publishing import AtomicBatches, publish_in_batches
from shared.concurrency import all_of
from shared.events import RiskLevel
from shared.publishing import EventPublisher
from shared.telemetry import Telemetry, log_fields

logger = logging.getLogger(__name__)

# The trace an announcement continues (the event that caused it), or None for a new trace.
Cause = Callable[[AssessmentChange], otel_context.Context | None]


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
        batches: AtomicBatches | None = None,
    ) -> None:
        self.live = live
        self.releases = releases
        self.checkpoints = checkpoints
        # Where who waits on an item is read (``waiting``), when announcing says so.
        self.work = work
        # Atomic batches to the RISK stream where there is a real one (not under test fakes).
        self.batches = batches
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

    def _announcements(
        self, result: Reassessment, cause: Cause, now: datetime
    ) -> list[Announcement]:
        """The diff's announcements and their history entries (pure CPU).

        Touches only the changed items' documents, which ``store_quiet`` leaves alone."""
        announcements = []
        for change in result.changes:
            previous = self.mirror.stored.get(change.item_id, {}).get(ANNOUNCED_AS)
            event = risk_changed(change, self.live.portfolio, previous, now)
            announcements.append((event, cause(change)))
            result.history.append(history_document(event))
            if (document := result.upserts.get(change.item_id)) is not None:
                document[ANNOUNCED_AS] = event.event_id
        return announcements

    async def _publish(self, announcements: list[Announcement]) -> None:
        await publish_in_batches(self.batches, self.publisher, announcements)

    async def _told_with_waiting(self, announcements: list[Announcement]) -> list[Announcement]:
        if self.work is None or not announcements:
            return announcements
        events = [event for event, _ in announcements]
        told = await told_with_waiting(events, self.live.portfolio, self.work)
        return [(event, cause) for event, (_, cause) in zip(told, announcements, strict=True)]

    async def _announce(
        self, result: Reassessment, cause: Cause, now: datetime
    ) -> list[Announcement]:
        """Build, publish and store the diff's announcements (publish before store)."""
        if not result.changes:
            return []  # a pass that changes no signature: no thread hop for nothing
        # A thread: the first start announces one event per item at risk (60,000 at 100,000).
        announcements = await asyncio.to_thread(self._announcements, result, cause, now)
        announcements = await self._told_with_waiting(announcements)
        # An announced item's document and history are stored once its event is acked, while
        # later events are still being published.
        await publish_then_store(
            self._publish, self.mirror, announcements, result, self.announce_part
        )
        return announcements

    async def _announce_and_store(
        self, trigger: str, result: Reassessment, cause: Cause, now: datetime
    ) -> list[Announcement]:
        """Three things at once, all before the commit (a failure repeats the pass, and each of
        them with it): the announcements; the documents that announce nothing, stored from the
        moment the diff is known (on a first start 40,000 of them, which the database writes
        while the 60,000 announcements are still being built); and the release check, which
        owes nothing to the risk changes."""
        work: list[Coroutine[Any, Any, object]] = [
            self._announce(result, cause, now),
            self.mirror.store_quiet(result),
        ]
        if self.releases is not None:
            live, stored = self.live.portfolio, self.mirror.stored
            work.append(self.releases.announce(trigger, live, result, stored, now))
        announced: list[Announcement] = (await all_of(*work))[0]
        return announced

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
            # A thread, because after a reload the diff builds a document for every item.
            result = await asyncio.to_thread(self.mirror.diff, self.live.portfolio)
            prepared = time.perf_counter()
            async with self.mirror.filling(result):
                announcements = await self._announce_and_store(trigger, result, cause, now)
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
                    # Where a long one went: engine, diff, announcing and storing, commit
                    # (with a first fill's indexes).
                    phases=[
                        round(b - a, 3)
                        for a, b in itertools.pairwise(
                            (started, recomputed, prepared, published, started + elapsed)
                        )
                    ],
                ),
            )
        return len(result.changes)
