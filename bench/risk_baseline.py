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


def active_graph(
    items: dict[str, Item], edges: Iterable[tuple[str, str]]
) -> tuple[nx.DiGraph, dict[str, frozenset[str]]]:
    """The graph without edges inside cycles, and each cycle member's cycle."""
    graph = nx.DiGraph()
    graph.add_nodes_from(items)
    graph.add_edges_from(edges)
    cycle: dict[str, frozenset[str]] = {}
    for component in nx.strongly_connected_components(graph):
        if len(component) > 1 or graph.has_edge(next(iter(component)), next(iter(component))):
            members = frozenset(component)
            for n in members:
                cycle[n] = members
    graph.remove_edges_from([(a, b) for a, b in graph.edges if cycle.get(a, 1) is cycle.get(b)])
    return graph, cycle


def forecast(
    graph: nx.DiGraph, items: dict[str, Item], finish: dict[str, date | None], n: str
) -> date | None:
    item = items.get(n)
    if item is None:
        return None
    if item.status is ItemStatus.DONE:
        return item.done_on
    latest = max(
        (f for b in graph.predecessors(n) if (f := finish.get(b)) is not None), default=None
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
) -> list[tuple[str, str]]:
    item = items[n]
    found: list[tuple[str, str]] = []
    if item.status is ItemStatus.DONE:
        return found
    for b in graph.predecessors(n):
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
    items: dict[str, Item],
    edges: list[tuple[str, str]],
    releases: dict[str, Release],
    demand: dict[str, float],
    today: date,
    policy: RiskPolicy,
) -> Result:
    """Full recomputation: cycles, topological order, forecasts, releases, reasons, level."""
    graph, cycle = active_graph(items, edges)
    finish: dict[str, date | None] = {}
    order = list(nx.topological_sort(graph))
    for n in order:
        finish[n] = forecast(graph, items, finish, n)
    waiting: dict[str, float] = {}
    for n in reversed(order):
        heaviest = max((waiting[d] for d in graph.successors(n)), default=0.0)
        waiting[n] = demand.get(n, 0.0) + heaviest
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
        found = reasons(graph, items, finish, n, today, policy)
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
    for n in nx.topological_sort(graph.subgraph(affected)):
        finish[n] = forecast(graph, items, finish, n)
    return len(affected)
