"""Re-evaluate, announce what a person would notice, then store: one path for every trigger.

Batches of events, the timer's re-check and start-up reconciliation all end here, so each gets
the same span, metrics and ordering (publish before store; see ``mirror``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime

from opentelemetry import context as otel_context
from opentelemetry.metrics import CallbackOptions, Observation

from services.scheduler.dashboard.live import RiskFeed
from services.scheduler.domain import AssessmentChange
from services.scheduler.handlers import risk_changed
from services.scheduler.history import history_document
from services.scheduler.live_portfolio import LivePortfolio
from services.scheduler.mirror import AssessmentMirror
from shared.events import RiskLevel
from shared.publishing import EventPublisher
from shared.telemetry import Telemetry, log_fields

logger = logging.getLogger(__name__)

Cause = Callable[[AssessmentChange], tuple[str, otel_context.Context | None]]


class RiskAnnouncer:
    def __init__(
        self,
        live: LivePortfolio,
        mirror: AssessmentMirror,
        publisher: EventPublisher,
        telemetry: Telemetry,
        feed: RiskFeed | None = None,
    ) -> None:
        self.live = live
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

    async def reassess(
        self, trigger: str, recompute: Callable[[], Awaitable[object]], cause: Cause, now: datetime
    ) -> int:
        """Run ``recompute`` on the live portfolio, announce and store; returns changes.

        The caller holds ``live.lock``: the portfolio, mirror and store must move together.
        """
        started = time.perf_counter()
        with self.tracer.start_as_current_span(f"reassess risk ({trigger})") as span:
            await recompute()
            # A thread, because after a reload the diff builds a document for every item.
            result = await asyncio.to_thread(self.mirror.diff, self.live.portfolio)
            announcements = []
            for change in result.changes:
                cause_id, context = cause(change)
                event = risk_changed(change, self.live.portfolio, cause_id, now)
                announcements.append((event, context))
            # Pipelined: each publish waits for an fsync'd ack, and one after another they cost
            # a disk sync per change. All are acked before the commit below, as before.
            await asyncio.gather(*(self.publisher.publish(e, c) for e, c in announcements))
            for event, _ in announcements:
                result.history.append(history_document(event))
                self.published.add(1, {"level": event.level.value, "trigger": trigger})
            await self.mirror.commit(result)
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
                ),
            )
        return len(result.changes)
