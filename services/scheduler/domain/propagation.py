"""The propagation passes, shared by the full and the incremental recomputation.

Both modes call the same per-node functions, so they cannot disagree on a rule; they differ
only in which nodes they visit. Incremental passes walk a heap keyed by topological rank and
stop wherever a recomputed value comes out unchanged.
"""

from __future__ import annotations

import heapq

from services.scheduler.domain.engine import EngineState
from services.scheduler.domain.forecast import chain_of, forecast_node, waiting_on
from services.scheduler.domain.reasons.blocker_late import is_late, late_after
from services.scheduler.domain.reasons.blocker_undated import is_undated
from services.scheduler.domain.score import demand_counts
from services.scheduler.domain.snapshot import Ints, NodeArrays, snapshot
from services.scheduler.domain.verdict import current
from services.scheduler.domain.whole_graph import (
    chains,
    criticals,
    forecasts,
    settle_order,
    waiting,
)
from services.scheduler.domain.wide_items import blocker_changed


def demand_pass(state: EngineState, seeds: set[int], touched: set[int]) -> None:
    """Re-derive waiting demand from ``seeds`` towards their blockers (dependants first).

    Only nodes whose assessment scores demand are marked ``touched``; every node's ``waiting``
    is kept current, so an on-track item re-assessed later for another cause reads it right.
    """
    graph, waiting, demand = state.graph, state.waiting, state.facts.demand
    cap = state.policy.demand_cap
    rank, cycle_of = graph.rank, graph.cycle_of
    heap = [(-rank[n], n) for n in seeds]
    heapq.heapify(heap)
    queued = set(seeds)
    while heap:
        n = heapq.heappop(heap)[1]
        value = waiting_on(n, graph, demand, waiting, cap)
        if value == waiting[n]:
            continue
        own_cycle = cycle_of[n]
        for m in graph.unit(n):  # a cycle's members share one value (``waiting_on``)
            waiting[m] = value
            if m not in state.unbuilt and demand_counts(state.assessments[m]):
                touched.add(m)
            for b in graph.blockers[m]:
                if b not in queued and (own_cycle < 0 or cycle_of[b] != own_cycle):
                    queued.add(b)
                    heapq.heappush(heap, (-rank[b], b))


def forecast_pass(
    state: EngineState, seeds: set[int], touched: set[int], releases: set[str]
) -> None:
    """Re-forecast from ``seeds`` towards their dependants (blockers first).

    The walk stops wherever a forecast and chain come out unchanged, and it crosses an edge
    only when the change can matter on the other side: a launch item blocked by hundreds of
    others is not re-examined because one of them moved inside its slack.
    """
    graph, rank, cycle_of = state.graph, state.graph.rank, state.graph.cycle_of
    heap = [(rank[n], n) for n in seeds]
    heapq.heapify(heap)
    queued = set(seeds)
    while heap:
        n = heapq.heappop(heap)[1]
        before = state.finish[n]
        if not _refresh(state, n, releases):
            continue
        touched.add(n)
        own_cycle = cycle_of[n]
        for d in graph.dependants[n]:
            if own_cycle >= 0 and cycle_of[d] == own_cycle:
                continue
            if _quotes(state, n, d, before):
                touched.add(d)
            if d not in queued and _may_move(state, n, d, before):
                queued.add(d)
                heapq.heappush(heap, (rank[d], d))


def _may_move(state: EngineState, n: int, d: int, before: int) -> bool:
    """Can ``n`` moving from ``before`` change ``d``'s forecast or chain? (Conservative.)"""
    if state.critical[d] == n:
        return True
    after = state.finish[n]
    return after > before and after + state.facts.duration[d] >= state.finish[d]


def _quotes(state: EngineState, n: int, d: int, before: int) -> bool:
    """Does ``d``'s assessment quote ``n``'s forecast, before or after it moved?

    Only ``blocker_late`` (its evidence carries the forecast) and ``blocker_undated`` (no
    forecast at all) read a blocker's forecast; the other blocker rules read its own facts.
    """
    facts, after = state.facts, state.finish[n]
    if not facts.is_open[d]:
        return False
    late = late_after(facts.target[d], facts.start[d], facts.duration[d])
    if is_late(before, late) or is_late(after, late):
        return True
    is_open, target = facts.is_open[n], facts.target[n]
    return bool(
        is_undated(True, is_open, target, before) != is_undated(True, is_open, target, after)
    )


def _refresh(state: EngineState, n: int, releases: set[str]) -> bool:
    """Recompute one node's forecast and chain; True when either changed."""
    finish, critical = forecast_node(n, state.graph, state.facts, state.finish)
    item = state.facts.items[n]
    chain = (
        ()
        if item is None
        else chain_of(n, critical, state.graph, state.chains, state.policy.chain_limit)
    )
    if finish == state.finish[n] and chain == state.chains[n]:
        return False
    current(state, n)  # a quiet assessment left unbuilt must show the values it was made from
    if finish != state.finish[n]:
        blocker_changed(state, n)
    state.finish[n], state.critical[n], state.chains[n] = finish, critical, chain
    if item is not None and item.release_id is not None:
        state.releases.place(n, item.release_id, finish)
        releases.add(item.release_id)
    return True


def full_pass(state: EngineState) -> tuple[NodeArrays, Ints]:
    """Every node's forecast, chain and demand, and every release's flag, from scratch.

    Returns the arrays it computed over and the forecasts as an array. The ranks the
    graph maintains are reused when they still order every active edge (checked here, in C);
    otherwise ranks and cycles are rebuilt first.
    """
    arrays = snapshot(state)
    order = settle_order(state, arrays)
    if order is None:
        state.graph.restructure()
        arrays = snapshot(state)
        order = settle_order(state, arrays)
        assert order is not None, "a rebuilt order orders every active edge"
    finish = forecasts(state, arrays, order)
    critical = criticals(arrays, finish, state.graph.ids)
    state.finish[:] = finish.tolist()
    state.critical[:] = critical.tolist()
    state.chains[:] = chains(state, arrays, critical, order)
    state.waiting[:] = waiting(state, arrays, order)
    book = state.releases
    book.place_all(finish)
    book.refresh(set(book.members) | book.flagged)
    return arrays, finish
