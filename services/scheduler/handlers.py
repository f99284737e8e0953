"""Use cases: project work events, re-assess risk, and say what changed.

The in-memory ``Portfolio`` mirrors the projections; it is loaded once at start and then
changed only by events that the guarded Mongo writes accepted (edges re-read, see
``sync_edges``), so both stay in step.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from services.scheduler.aliases import Names, decided_edges, names_from
from services.scheduler.documents import (
    item_from_document,
    release_from_document,
)
from services.scheduler.domain import AssessmentChange, Item, Portfolio, RiskPolicy
from services.scheduler.edges import sync_edges
from services.scheduler.engine_feed import APPLY_TO_PORTFOLIO, REFERENCED_ITEMS
from services.scheduler.plans import apply_plans, by_ref, planned, plans_of, refs_of
from services.scheduler.ports import WorkStore
from shared.events import (
    Event,
    ItemChangedV1,
    RiskChangedV1,
    RiskLevel,
    RiskReason,
    Source,
    derive_event_id,
)
from shared.telemetry import log_fields

logger = logging.getLogger(__name__)


async def load_portfolio(store: WorkStore, policy: RiskPolicy) -> Portfolio:
    """The engine's input, exactly as the projections hold it (start-up and rebuild).

    Reading is I/O; building 100,000 items and their edges is seconds of pure CPU, so it runs
    in a worker thread and the event loop keeps answering health checks and reads meanwhile.
    """
    began = time.perf_counter()
    stored = await read_projections(store)
    read = time.perf_counter()
    portfolio = await asyncio.to_thread(build_portfolio, policy, stored)
    log_loaded(counts_of(stored), read - began, time.perf_counter() - read)
    return portfolio


async def read_projections(
    store: WorkStore, names: Sequence[str] = (), /
) -> dict[str, list[dict[str, Any]]]:
    """The named projections (all the portfolio's when none are named), whole."""
    return {name: await store.documents(name, {}) for name in names or PORTFOLIO_COLLECTIONS}


def counts_of(stored: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    return {name: len(documents) for name, documents in stored.items()}


def log_loaded(documents: dict[str, int], read: float, built: float) -> None:
    # The two halves of a slow start: the store's answer, and the engine's build from it.
    logger.info(
        "portfolio loaded",
        extra=log_fields(
            read_seconds=round(read, 3),
            build_seconds=round(built, 3),
            documents=documents,
        ),
    )


# The items' part of the portfolio can be built before the links are read: how edges name
# their ends (``Names``) and which items were removed when, both come from the items.
ITEM_COLLECTIONS = ("schedules", "items", "releases")
LINK_COLLECTIONS = ("dependencies", "demand")
PORTFOLIO_COLLECTIONS = ITEM_COLLECTIONS + LINK_COLLECTIONS


@dataclass
class ItemsBuilt:
    """A portfolio holding its items and releases, and what deciding its edges takes."""

    portfolio: Portfolio
    names: Names
    removed_at: dict[str, datetime]


def build_portfolio(policy: RiskPolicy, stored: dict[str, list[dict[str, Any]]]) -> Portfolio:
    """The portfolio the stored projections describe (pure: no I/O, no shared state)."""
    return add_links(build_items(policy, stored), stored)


def build_items(policy: RiskPolicy, stored: dict[str, list[dict[str, Any]]]) -> ItemsBuilt:
    """The first part of ``build_portfolio``: items with their plans, and releases."""
    portfolio = Portfolio(policy)
    removed_at: dict[str, datetime] = {}
    plans = by_ref(stored["schedules"])
    items = stored["items"]
    names = names_from(items)  # edges may name an item by global id or by a key before a move
    for document in items:
        if document.get("removed_at") is not None:
            removed_at[document["_id"]] = document["removed_at"]
        if not document.get("removed") and document["_id"] not in names.superseded:
            portfolio.upsert_item(planned_item(document, plans))
    for document in stored["releases"]:
        portfolio.upsert_release(release_from_document(document))
    return ItemsBuilt(portfolio, names, removed_at)


def add_links(built: ItemsBuilt, stored: dict[str, list[dict[str, Any]]]) -> Portfolio:
    """The rest of ``build_portfolio``: the live edges between the items, and demand."""
    portfolio, names = built.portfolio, built.names
    edges = decided_edges(stored["dependencies"], names, built.removed_at)
    for (blocker, blocked), live in edges.items():
        if live:
            portfolio.add_dependency(blocker, blocked)
    for document in stored["demand"]:
        portfolio.set_demand(names.of(document["_id"]), float(document.get("weight", 0.0)))
    return portfolio


def planned_item(document: dict[str, Any], plans: dict[str, list[dict[str, Any]]]) -> Item:
    item = item_from_document(document)
    own = plans_of(refs_of(document["_id"], document.get("node_id")), plans) if plans else ()
    # Most items have no separate plan; rebuilding every one unchanged cost seconds at 100k.
    return planned(item, own) if own else item


def risk_changed(
    change: AssessmentChange, portfolio: Portfolio, previous: str | None, now: datetime
) -> RiskChangedV1:
    """The announcement of ``change``, whose id follows from the item's last one (``previous``).

    Chaining ids on the previous announcement, not on what triggered this one, names a
    transition the same whichever path finds it: a batch that published and then crashed
    before storing is announced again by the restart's reconcile under the same id, so
    JetStream's duplicate window and the notifier's log keep one. An item deleted and made
    again restarts its chain, so the same first transition would reuse an id; the release
    watch accepts the same.
    """
    before, after = change.before, change.after
    item = portfolio.item(change.item_id)
    signature = repr(after and after.signature)
    common = {
        "event_id": derive_event_id("risk", change.item_id, previous or "", signature),
        "occurred_at": now,
        "source": Source.SLIPSTREAM,
        "item_id": change.item_id,
        "previous_level": before.level if before else None,
        "title": item.title if item else None,
        "team": item.team if item else None,
        "owner": item.owner if item else None,
        "url": item.url if item else None,
        "release_id": item.release_id if item else None,
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
        titles=portfolio.titles(mentioned_by(after.reasons, after.chain, change.item_id)),
    )


def mentioned_by(
    reasons: Sequence[RiskReason], chain: Sequence[str], item_id: str
) -> dict[str, None]:
    """The other items an announcement names by id, in the order it names them."""
    named = [reason.blocker_id for reason in reasons if reason.blocker_id] + list(chain)
    return {other: None for other in named if other != item_id}


async def project_work(
    events: Sequence[Event], store: WorkStore, portfolio: Portfolio, today: date
) -> list[Event]:
    """Project a batch, feed what applied to the engine and re-evaluate; returns what applied.

    What to announce is decided afterwards against the stored assessments (see ``mirror``).
    """
    applied = await store.apply(events, lambda name, key: is_new_to(portfolio, name, key))
    newcomers = {
        event.item_id
        for event in applied
        if isinstance(event, ItemChangedV1) and event.node_id and not portfolio.item(event.item_id)
    }
    for event in applied:
        APPLY_TO_PORTFOLIO(event, portfolio)
    await apply_plans(store, portfolio, applied)
    await sync_edges(store, portfolio, applied, newcomers)
    portfolio.reassess(today)
    return applied


def is_new_to(portfolio: Portfolio, collection: str, key: str) -> bool:
    """Whether the portfolio has never heard of this item or release (the store's hint).

    A deleted item is not in the portfolio yet its tombstone is stored; the store finds that
    out itself, so the guess only has to be right most of the time.
    """
    if collection == "items":
        return portfolio.item(key) is None
    if collection == "releases":
        return not portfolio.has_release(key)
    return False


def cause_of(item_id: str, batch: Sequence[Event]) -> Event:
    """The batch's latest event that names the item, else the batch's last one.

    Its trace is the one the announcement continues. Chosen from the batch as delivered, not
    from what applied: a batch redelivered after a crash between announcing and storing
    applies nothing new yet still owes those announcements (their ids do not depend on this;
    see ``risk_changed``).
    """
    for event in reversed(batch):
        if item_id in REFERENCED_ITEMS(event):
            return event
    return batch[-1]
