"""Project work items and releases, and decide which loops their change closes."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from opentelemetry import trace

from services.feedback.domain.loops import (
    WorkItem,
    announcement_id,
    closures_of,
    waiting_customers,
)
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
    """The loops this batch of work closes, naming who waits (see ``closables``)."""
    closable = await closables(await project_work(events, work), work, weighing, now)
    trace.get_current_span().set_attribute("slipstream.feedback.loops_closable", len(closable))
    return closable


async def close_for_feedback(
    item_ids: Collection[str], work: WorkProjection, weighing: Weighing, now: datetime
) -> list[LoopClosableV1]:
    """Feedback that arrived on work already done or released: its customers are told now.

    A customer asking for what has shipped is told it has, as those who asked before were;
    a loop that nobody waited on when it could close closes once someone does.
    """
    candidates = await work.closable_among(item_ids) if item_ids else []
    return await closables(candidates, work, weighing, now)


async def closables(
    candidates: Sequence[WorkItem], work: WorkProjection, weighing: Weighing, now: datetime
) -> list[LoopClosableV1]:
    """The closures the items' state calls for that were not announced, each naming every
    customer waiting then; and, for closures announced before, the pieces on the item no
    announcement named yet (once per item, however many of its closures were announced).

    Nothing is recorded here: the caller records them once published, so a failed publish
    is decided again on redelivery (each event id follows from the closure and the pieces
    it names, so the stream keeps one).
    """
    released = await work.released_among({i.release_id for i in candidates if i.release_id})
    due = []
    for item in candidates:
        shipped = [item.release_id] if item.release_id in released else []
        due += [(item, c) for c in closures_of(item, shipped)]
    announced = await work.closed([c for _, c in due])
    directory = await weighing.directory()
    told: dict[str, set[str]] = {}
    closable = []
    for item, closure in due:
        feedback = await weighing.store.feedback_on(item.item_id)
        late = closure in announced
        if late:
            if item.item_id not in told:
                told[item.item_id] = await work.told(item.item_id)
            feedback = [f for f in feedback if f.feedback_id not in told[item.item_id]]
        customers = waiting_customers(feedback, weighing.rules, directory)
        if not customers:
            continue
        named = sorted(f for c in customers for f in c.feedback_ids)
        if late:
            told[item.item_id].update(named)
        closable.append(
            LoopClosableV1(
                event_id=announcement_id(closure, named if late else ()),
                occurred_at=now,
                source=Source.SLIPSTREAM,
                item_id=item.item_id,
                because=closure.because,
                release_id=closure.release_id,
                title=item.title,
                customers=customers,
            )
        )
    trace.get_current_span().set_attribute("slipstream.feedback.loop_candidates", len(due))
    return closable
