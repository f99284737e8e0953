"""Project work items and releases, and decide which loops their change closes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from opentelemetry import trace

from services.feedback.domain.loops import WorkItem, closures_of, waiting_customers
from services.feedback.handlers import Weighing
from services.feedback.ports import WorkProjection
from shared.dispatch import Dispatch
from shared.events import (
    DependencyAddedV1,
    DependencyRemovedV1,
    Event,
    ItemChangedV1,
    ItemRemovedV1,
    ItemScheduleChangedV1,
    LoopClosableV1,
    ReleaseChangedV1,
    Source,
    derive_event_id,
)
from shared.events.streams import WorkEvent


def kept(event: Event) -> Event | None:
    return event


def ignored(event: Event) -> None:
    # Dependencies and schedules say nothing about whether customers can be told.
    return None


# What feedback keeps of each event on ``work.>``.
WORK_KEPT: Dispatch[Event | None] = Dispatch(
    "feedback work",
    WorkEvent,
    {
        ItemChangedV1: kept,
        ReleaseChangedV1: kept,
        ItemRemovedV1: ignored,
        ItemScheduleChangedV1: ignored,
        DependencyAddedV1: ignored,
        DependencyRemovedV1: ignored,
    },
)


async def project_work(events: Sequence[Event], work: WorkProjection) -> list[WorkItem]:
    """Apply the batch; the items whose state may now close a loop."""
    useful = [e for e in (WORK_KEPT(event) for event in events) if e is not None]
    items = [e for e in useful if isinstance(e, ItemChangedV1)]
    releases = [e for e in useful if isinstance(e, ReleaseChangedV1)]
    candidates = {i.item_id: i for i in await work.apply_items(items)}
    for release_id in await work.apply_releases(releases):
        candidates.update({i.item_id: i for i in await work.items_in(release_id)})
    return [candidates[k] for k in sorted(candidates)]


async def close_loops(
    events: Sequence[Event], work: WorkProjection, weighing: Weighing, now: datetime
) -> list[LoopClosableV1]:
    """The loops this batch closes that were not announced before, naming who waits.

    Nothing is recorded here: the caller records them once published, so a failed publish
    is decided again on redelivery (each closure's event id is fixed, so the stream keeps one).
    """
    candidates = await project_work(events, work)
    released = await work.released_among({i.release_id for i in candidates if i.release_id})
    due = []
    for item in candidates:
        shipped = [item.release_id] if item.release_id in released else []
        due += [(item, c) for c in closures_of(item, shipped)]
    announced = await work.closed([c for _, c in due])
    directory = await weighing.directory()
    closable = []
    for item, closure in due:
        if closure in announced:
            continue
        feedback = await weighing.store.feedback_on(item.item_id)
        customers = waiting_customers(feedback, weighing.rules, directory)
        if not customers:
            continue
        closable.append(
            LoopClosableV1(
                event_id=derive_event_id("loop", closure.key),
                occurred_at=now,
                source=Source.SLIPSTREAM,
                item_id=item.item_id,
                because=closure.because,
                release_id=closure.release_id,
                title=item.title,
                customers=customers,
            )
        )
    span = trace.get_current_span()
    span.set_attribute("slipstream.feedback.loop_candidates", len(due))
    span.set_attribute("slipstream.feedback.loops_closable", len(closable))
    return closable
