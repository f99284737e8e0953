"""Reasons about the item itself: a cycle it sits in, its release at risk, its own target."""

from __future__ import annotations

from services.scheduler.domain.dates import iso
from services.scheduler.domain.engine import EngineState
from services.scheduler.domain.model import PendingReason
from services.scheduler.domain.reasons import cycle, overdue, release_at_risk
from services.scheduler.domain.window import Window


def item_is_quiet(state: EngineState, n: int, release_id: str | None, window: Window) -> bool:
    """True when open item ``n`` has no reason of its own, decided without building any."""
    if state.graph.cycle_of[n] >= 0 or (
        release_id is not None and release_id in state.releases.flagged
    ):
        return False
    target = state.facts.target[n]
    return not (overdue.dated(True, target) and window.passed(overdue.overdue_from(target)))


def item_reasons(state: EngineState, n: int, window: Window) -> list[PendingReason]:
    """The reasons of open item ``n`` that do not come from a blocker."""
    found: list[PendingReason] = []
    graph, facts = state.graph, state.facts
    members = graph.cycle_members(n)
    if members:
        found.append(cycle.pending(tuple(sorted(graph.ids[m] for m in members))))
    item = facts.items[n]
    rid = None if item is None else item.release_id
    if rid is not None and rid in state.releases.flagged:
        name = state.releases.releases[rid].name
        found.append(release_at_risk.pending(rid, name, iso(state.releases.due(rid))))
    target = facts.target[n]
    if overdue.dated(True, target) and window.passed(overdue.overdue_from(target)):
        found.append(overdue.pending_item_reason(target))
    return found
