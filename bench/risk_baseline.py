"""The same risk model written plainly with networkx: the benchmark's yardstick.

Plain but not sabotaged: one DiGraph, networkx's own strongly-connected components and
topological sort, dict look-ups and ``date`` arithmetic, no per-item objects beyond tuples.
It computes forecasts, critical blockers, waiting demand, reason codes and levels.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import networkx as nx

from services.scheduler.domain import Item, Release, RiskPolicy
from shared.events import ItemStatus, ReleaseState

Result = dict[str, tuple[date | None, list[tuple[str, str]], str]]


def build_graph(items: dict[str, Item], edges: Iterable[tuple[str, str]]) -> nx.DiGraph:
    """What a networkx-based service would keep between events (timed apart, like the
    engine's own graph, which is maintained as events arrive)."""
    graph = nx.DiGraph()
    graph.add_nodes_from(items)
    graph.add_edges_from(edges)
    return graph


def order_and_cycles(graph: nx.DiGraph) -> tuple[list[str], dict[str, int]]:
    """Topological order of the condensation, expanded, and the cycle number of members."""
    condensed = nx.condensation(graph)
    order: list[str] = []
    cycle: dict[str, int] = {}
    for c in nx.topological_sort(condensed):
        members = condensed.nodes[c]["members"]
        order.extend(members)
        first = next(iter(members))
        if len(members) > 1 or graph.has_edge(first, first):
            cycle.update((n, c) for n in members)
    return order, cycle


def forecast(
    graph: nx.DiGraph,
    items: dict[str, Item],
    finish: dict[str, date | None],
    n: str,
    cycle: dict[str, int],
) -> date | None:
    item = items.get(n)
    if item is None:
        return None
    if item.status is ItemStatus.DONE:
        return item.done_on
    c = cycle.get(n, -1)
    latest = max(
        (
            f
            for b in graph.predecessors(n)
            if (f := finish.get(b)) is not None and (c < 0 or cycle.get(b) != c)
        ),
        default=None,
    )
    if latest is None:
        return item.target
    driven = latest + duration(item)
    return driven if item.target is None or driven > item.target else item.target


def duration(item: Item) -> timedelta:
    if item.target is not None and item.start is not None and item.target > item.start:
        return item.target - item.start
    return timedelta(0)


def reasons(
    graph: nx.DiGraph,
    items: dict[str, Item],
    finish: dict[str, date | None],
    n: str,
    today: date,
    policy: RiskPolicy,
    cycle: dict[str, int],
) -> list[tuple[str, str]]:
    item = items[n]
    found: list[tuple[str, str]] = []
    if item.status is ItemStatus.DONE:
        return found
    c = cycle.get(n, -1)
    for b in graph.predecessors(n):
        if c >= 0 and cycle.get(b) == c:
            continue
        blocker = items.get(b)
        if blocker is None:
            found.append(("blocker_undated", b))
            continue
        f = finish.get(b)
        if f is not None and (
            (item.target is not None and f + duration(item) > item.target)
            or (item.target is None and item.start is not None and f > item.start)
        ):
            found.append(("blocker_late", b))
        if blocker.status is ItemStatus.DONE:
            continue
        if blocker.target is not None and blocker.target < today:
            found.append(("blocker_overdue", b))
        if blocker.target is None and f is None:
            found.append(("blocker_undated", b))
        if (
            blocker.updated_at is not None
            and item.target is not None
            and (today - blocker.updated_at.date()).days >= policy.stale_after_days
            and (item.target - today).days <= policy.near_target_days
        ):
            found.append(("blocker_stale", b))
    if item.target is not None and item.target < today:
        found.append(("item_overdue", ""))
    return found


def baseline_forecasts(
    graph: nx.DiGraph,
    items: dict[str, Item],
    releases: dict[str, Release],
    demand: dict[str, float],
    today: date,
    policy: RiskPolicy,
) -> Result:
    """Full recomputation: cycles, topological order, forecasts, releases, reasons, level."""
    order, cycle = order_and_cycles(graph)
    finish: dict[str, date | None] = {}
    for n in order:
        finish[n] = forecast(graph, items, finish, n, cycle)
    waiting: dict[str, float] = {}
    for n in reversed(order):
        c = cycle.get(n, -1)
        heaviest = max(
            (waiting[d] for d in graph.successors(n) if c < 0 or cycle.get(d) != c), default=0.0
        )
        waiting[n] = min(policy.demand_cap, demand.get(n, 0.0) + heaviest)
    late_releases = set()
    for n, item in items.items():
        release = releases.get(item.release_id or "")
        f = finish[n]
        if (
            release is not None
            and release.state is ReleaseState.OPEN
            and release.due
            and f is not None
            and f > release.due
        ):
            late_releases.add(release.id)
    result: Result = {}
    for n, item in items.items():
        found = reasons(graph, items, finish, n, today, policy, cycle)
        if n in cycle and item.status is not ItemStatus.DONE:
            found.append(("cycle", ""))
        if item.release_id in late_releases and item.status is not ItemStatus.DONE:
            found.append(("release_at_risk", ""))
        slip = (finish[n] - item.target).days if finish[n] and item.target else 0  # type: ignore[operator]
        level = "on_track" if not found else "at_risk"
        if found and (slip >= policy.off_track_slip_days or ("item_overdue", "") in found):
            level = "off_track"
        result[n] = (finish[n], sorted(found), level)
    return result


def baseline_incremental(
    graph: nx.DiGraph, items: dict[str, Item], finish: dict[str, date | None], changed: str
) -> int:
    """Re-forecast one changed item's descendants in topological order; returns how many."""
    affected = nx.descendants(graph, changed) | {changed}
    order, cycle = order_and_cycles(graph.subgraph(affected))
    for n in order:
        finish[n] = forecast(graph, items, finish, n, cycle)
    return len(affected)
