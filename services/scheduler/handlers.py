"""Use cases: project work events, re-assess risk, and say what changed.

The in-memory ``Portfolio`` mirrors the projections; it is loaded once at start and then
changed only by events that the guarded Mongo writes accepted (edges re-read, see
``sync_edges``), so both stay in step.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from services.scheduler.documents import (
    edge_is_live,
    item_from_changed,
    item_from_document,
    release_from_changed,
    release_from_document,
)
from services.scheduler.domain import AssessmentChange, Portfolio, RiskPolicy
from services.scheduler.plans import apply_plans, by_ref, planned, plans_of, refs_of
from services.scheduler.ports import WorkStore
from shared.events import (
    DemandChangedV1,
    DependencyAddedV1,
    DependencyRemovedV1,
    Event,
    ItemChangedV1,
    ItemRemovedV1,
    ItemScheduleChangedV1,
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
    """The engine's input, exactly as the projections hold it (start-up and rebuild)."""
    portfolio = Portfolio(policy)
    removed_at: dict[str, datetime] = {}
    plans = by_ref(await store.documents("schedules", {}))
    for document in await store.documents("items", {}):
        if document.get("removed_at") is not None:
            removed_at[document["_id"]] = document["removed_at"]
        if not document.get("removed"):
            refs = refs_of(document["_id"], document.get("node_id"))
            portfolio.upsert_item(planned(item_from_document(document), plans_of(refs, plans)))
    for document in await store.documents("releases", {}):
        portfolio.upsert_release(release_from_document(document))
    for document in await store.documents("dependencies", {"present": True}):
        if edge_is_live(document, removed_at):
            portfolio.add_dependency(document["blocker_id"], document["blocked_id"])
    for document in await store.documents("demand", {}):
        portfolio.set_demand(document["_id"], float(document.get("weight", 0.0)))
    return portfolio


async def sync_edges(store: WorkStore, portfolio: Portfolio, applied: Sequence[Event]) -> None:
    """Make the engine's edges around these events match what the projections decide.

    Whether an edge counts depends on clocks (its own and its ends' deletions), not on the
    order events arrived in, so the engine re-reads the edges whose answer may have moved: the
    ones this batch wrote and those of items it deleted. Nothing else: a new dependant of a
    busy blocker costs one edge, never the blocker's whole fan-in.
    """
    written = {
        (event.blocker_id, event.blocked_id)
        for event in applied
        if isinstance(event, DependencyAddedV1 | DependencyRemovedV1)
    }
    deleted = {event.item_id for event in applied if isinstance(event, ItemRemovedV1)}
    edges = {d["_id"]: d for d in await store.dependencies_between(written)} if written else {}
    if deleted:
        edges.update((d["_id"], d) for d in await store.present_edges_touching(deleted))
    if not edges:
        return
    removed_at = await removals_deciding(store, list(edges.values()), deleted)
    for edge in edges.values():
        if edge_is_live(edge, removed_at):
            portfolio.add_dependency(edge["blocker_id"], edge["blocked_id"])
        else:
            portfolio.remove_dependency(edge["blocker_id"], edge["blocked_id"])


async def removals_deciding(
    store: WorkStore, edges: Sequence[dict[str, Any]], deleted: set[str]
) -> dict[str, datetime]:
    """Enough of the ends' deletion times to decide each edge with ``edge_is_live``.

    A deleted item's edges that are no newer than its deletion are dead whatever their other
    end says, so a deleted blocker's dependants are looked up only for the rare edge re-created
    after the deletion.
    """

    def ends(edge: dict[str, Any]) -> set[str]:
        return {edge["blocker_id"], edge["blocked_id"]}

    near_deletion = [e for e in edges if ends(e) & deleted]
    asked = deleted.union(*(ends(e) for e in edges if not ends(e) & deleted))
    removed_at = await store.removed_at(asked)
    outliving = [e for e in near_deletion if edge_is_live(e, removed_at)]
    if unknown := set().union(*map(ends, outliving)) - asked:
        removed_at.update(await store.removed_at(unknown))
    return removed_at


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


async def project_work(
    events: Sequence[Event], store: WorkStore, portfolio: Portfolio, today: date
) -> list[Event]:
    """Project a batch, feed what applied to the engine and re-evaluate; returns what applied.

    What to announce is decided afterwards against the stored assessments (see ``mirror``).
    """
    applied = await store.apply(events)
    for event in applied:
        apply_to_portfolio(portfolio, event)
    await apply_plans(store, portfolio, applied)
    await sync_edges(store, portfolio, applied)
    portfolio.reassess(today)
    return applied


def referenced_items(event: Event) -> tuple[str, ...]:
    if isinstance(event, ItemChangedV1 | ItemRemovedV1 | DemandChangedV1):
        return (event.item_id,)
    if isinstance(event, DependencyAddedV1 | DependencyRemovedV1):
        return (event.blocked_id, event.blocker_id)
    if isinstance(event, ItemScheduleChangedV1):
        return (event.item_ref,)  # a ``github-node:`` ref names no item: the batch is blamed
    return ()


def cause_of(item_id: str, applied: Sequence[Event], batch: Sequence[Event]) -> Event:
    """The latest applied event that names the item, else the batch's last one.

    A retried batch whose writes all landed the first time applies nothing new, yet may still
    owe announcements; they are blamed on the same last event, so their ids repeat and
    JetStream's duplicate window drops any copy that did get through.
    """
    for event in reversed(applied):
        if item_id in referenced_items(event):
            return event
    return applied[-1] if applied else batch[-1]
