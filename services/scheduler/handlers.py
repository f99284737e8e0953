"""Use cases: project work events, re-assess risk, and say what changed.

The in-memory ``Portfolio`` mirrors the projections; it is loaded once at start and then
changed only by events that the guarded Mongo writes accepted, so both stay in step.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from services.scheduler.documents import (
    item_from_changed,
    item_from_document,
    release_from_changed,
    release_from_document,
)
from services.scheduler.domain import AssessmentChange, Portfolio, RiskPolicy
from services.scheduler.ports import AssessmentStore, WorkStore
from shared.events import (
    DemandChangedV1,
    DependencyAddedV1,
    DependencyRemovedV1,
    Event,
    ItemChangedV1,
    ItemRemovedV1,
    ReleaseChangedV1,
    RiskChangedV1,
    RiskLevel,
    Source,
    derive_event_id,
)


def apply_to_portfolio(portfolio: Portfolio, event: Event) -> None:
    if isinstance(event, ItemChangedV1):
        portfolio.upsert_item(item_from_changed(event))
    elif isinstance(event, ItemRemovedV1):
        portfolio.remove_item(event.item_id)
    elif isinstance(event, DependencyAddedV1):
        portfolio.add_dependency(event.blocker_id, event.blocked_id)
    elif isinstance(event, DependencyRemovedV1):
        portfolio.remove_dependency(event.blocker_id, event.blocked_id)
    elif isinstance(event, ReleaseChangedV1):
        portfolio.upsert_release(release_from_changed(event))
    elif isinstance(event, DemandChangedV1):
        portfolio.set_demand(event.item_id, event.weight)


async def load_portfolio(store: WorkStore, policy: RiskPolicy) -> Portfolio:
    portfolio = Portfolio(policy)
    for document in await store.documents("items", {"removed": {"$ne": True}}):
        portfolio.upsert_item(item_from_document(document))
    for document in await store.documents("releases", {}):
        portfolio.upsert_release(release_from_document(document))
    for document in await store.documents("dependencies", {"present": True}):
        portfolio.add_dependency(document["blocker_id"], document["blocked_id"])
    for document in await store.documents("demand", {}):
        portfolio.set_demand(document["_id"], float(document.get("weight", 0.0)))
    return portfolio


def risk_changed(
    change: AssessmentChange, portfolio: Portfolio, cause: str, now: datetime
) -> RiskChangedV1:
    before, after = change.before, change.after
    item = portfolio.item(change.item_id)
    common = {
        "event_id": derive_event_id("risk", change.item_id, cause, repr(after and after.signature)),
        "occurred_at": now,
        "source": Source.SLIPSTREAM,
        "item_id": change.item_id,
        "previous_level": before.level if before else None,
        "title": item.title if item else None,
        "team": item.team if item else None,
        "owner": item.owner if item else None,
    }
    if after is None:
        return RiskChangedV1(**common, level=RiskLevel.ON_TRACK)
    return RiskChangedV1(
        **common,
        level=after.level,
        score=after.score,
        slip_days=after.slip_days,
        target=after.target,
        forecast=after.forecast,
        reasons=after.reasons,
        chain=after.chain,
    )


async def persist(
    changes: Sequence[AssessmentChange],
    portfolio: Portfolio,
    assessments: AssessmentStore,
    extra: Iterable[str] = (),
) -> None:
    """Store the assessments that changed, plus any other item whose forecast may have moved."""
    ids = {change.item_id for change in changes} | set(extra)
    present = [(a, portfolio.item(i)) for i in sorted(ids) if (a := portfolio.assessment(i))]
    await assessments.save(present)
    await assessments.remove([i for i in sorted(ids) if portfolio.assessment(i) is None])


async def project_work(
    events: Sequence[Event],
    store: WorkStore,
    portfolio: Portfolio,
    assessments: AssessmentStore,
    today: date,
) -> list[tuple[Event, AssessmentChange]]:
    """Returns each notable change with the applied event that caused it (for tracing)."""
    applied = await store.apply(events)
    for event in applied:
        apply_to_portfolio(portfolio, event)
    changes = portfolio.reassess(today)
    touched = {i for event in applied for i in referenced_items(event)}
    await persist(changes, portfolio, assessments, touched)
    return [(cause_of(change, applied), change) for change in changes if applied]


def referenced_items(event: Event) -> tuple[str, ...]:
    if isinstance(event, ItemChangedV1 | ItemRemovedV1 | DemandChangedV1):
        return (event.item_id,)
    if isinstance(event, DependencyAddedV1 | DependencyRemovedV1):
        return (event.blocked_id, event.blocker_id)
    return ()


def cause_of(change: AssessmentChange, applied: Sequence[Event]) -> Event:
    """The latest applied event that names the item, else the batch's last one."""
    for event in reversed(applied):
        if change.item_id in referenced_items(event):
            return event
    return applied[-1]
