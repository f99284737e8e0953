"""The full pass's propagation: forecasts, critical blockers, chains, demand and releases.

Same rules as ``forecast`` (which the incremental passes use), computed over whole arrays.
Forecasts are relaxed edge-parallel: every edge proposes "blocker + duration" at once, and only
edges out of nodes that moved propose again. Dates are absorbed by slack within a few rounds
in real plans; a plan where they are not (long chains without targets) falls back to one
sequential sweep, so the pass never costs more than the plain loop.
"""

from __future__ import annotations

import numpy as np

from services.scheduler.domain.engine import EngineState
from services.scheduler.domain.forecast import driven, forecast_node, own_finish, waiting_on
from services.scheduler.domain.snapshot import Ints, NodeArrays, out_edges

_ROUNDS = 256


def settle_order(state: EngineState, arrays: NodeArrays) -> Ints | None:
    """Ranks as node ids in order, if the graph's maintained ranks still order every active
    edge; None when they must be rebuilt (a broken invariant)."""
    rank = np.asarray(state.graph.rank, dtype=np.int64)
    if not bool(np.all(rank[arrays.src] < rank[arrays.dst])):
        return None
    order = np.empty_like(rank)
    order[rank] = np.arange(len(rank), dtype=np.int64)
    return order


def own_dates(arrays: NodeArrays) -> Ints:
    """What each node finishes on before its blockers are considered."""
    return own_finish(arrays.known, arrays.open_, arrays.target, arrays.done)  # type: ignore[no-any-return]


def forecasts(state: EngineState, arrays: NodeArrays, order: Ints) -> Ints:
    own = own_dates(arrays)
    into_open = arrays.open_[arrays.dst]
    src, dst = arrays.src[into_open], arrays.dst[into_open]
    by_src = np.argsort(src, kind="stable")
    src, dst = src[by_src], dst[by_src]
    first = np.searchsorted(src, np.arange(arrays.size + 1, dtype=np.int64))
    extra = arrays.duration[dst]
    finish = own.copy()
    moved = np.flatnonzero(finish >= 0)
    for _ in range(_ROUNDS):
        edges = out_edges(first, moved)
        targets, proposed = dst[edges], driven(finish[src[edges]], extra[edges])
        later = proposed > finish[targets]
        if not later.any():
            return finish
        targets = targets[later]
        np.maximum.at(finish, targets, proposed[later])
        moved = distinct(targets, arrays.size)
    return _sweep(state, order)


def distinct(nodes: Ints, size: int) -> Ints:
    """The sorted distinct values of ``nodes``, all in ``range(size)``.

    A mark per node instead of ``np.unique``'s sort: linear, and at 100,000 items the sort
    was two thirds of the forecast pass (2.1 s of a restart).
    """
    marked = np.zeros(size, dtype=bool)
    marked[nodes] = True
    return np.flatnonzero(marked)


def _sweep(state: EngineState, order: Ints) -> Ints:
    finish = list(state.finish)
    graph, facts = state.graph, state.facts
    for n in order.tolist():
        finish[n] = forecast_node(n, graph, facts, finish)[0]
    return np.asarray(finish, dtype=np.int64)


def criticals(arrays: NodeArrays, finish: Ints, ids: list[str]) -> Ints:
    """The blocker that sets each driven forecast; ties go to the smaller id."""
    src, dst = arrays.src, arrays.dst
    moved = arrays.open_ & (finish > own_dates(arrays))
    sets = moved[dst] & (driven(finish[src], arrays.duration[dst]) == finish[dst])
    src, dst = src[sets], dst[sets]
    critical = np.full(arrays.size, -1, dtype=np.int64)
    single = np.bincount(dst, minlength=arrays.size)[dst] == 1
    critical[dst[single]] = src[single]
    tied: dict[int, list[int]] = {}
    for d, s in zip(dst[~single].tolist(), src[~single].tolist(), strict=True):
        tied.setdefault(d, []).append(s)
    for d, candidates in tied.items():
        critical[d] = min(candidates, key=ids.__getitem__)
    return critical


def chains(
    state: EngineState, arrays: NodeArrays, critical: Ints, order: Ints
) -> list[tuple[str, ...]]:
    """Each known item, then its critical blocker's chain, up to the policy's limit."""
    ids, limit = state.graph.ids, state.policy.chain_limit
    known = arrays.known.tolist()
    found: list[tuple[str, ...]] = [(i,) if k else () for i, k in zip(ids, known, strict=True)]
    # Blockers come first in ``order``, so a critical blocker's chain is always ready.
    ordered = order[critical[order] >= 0].tolist()
    pointer = critical.tolist()
    for n in ordered:
        found[n] = (ids[n], *found[pointer[n]][: limit - 1])
    return found


def waiting(state: EngineState, arrays: NodeArrays, order: Ints) -> list[float]:
    """``forecast.waiting_on`` for every node, dependants first: the one part of the pass that
    stays a Python loop, because demand, unlike dates, is never absorbed along a chain
    (measured: relaxing it edge-parallel, as ``forecasts`` does, took 281 rounds and 1.5 s).

    Only nodes with an active dependant, and cycle members (a unit's demand is shared), are
    visited. Cycle members are few and go through ``waiting_on``; the runs of other nodes
    between them take the inlined loop below.
    """
    graph, demand, cap = state.graph, state.facts.demand, state.policy.demand_cap
    dependants = graph.dependants
    in_cycle = arrays.cycle >= 0
    visit_mask = np.zeros(arrays.size, dtype=np.bool_)
    visit_mask[arrays.src] = True
    visit_mask[in_cycle] = True
    ordered = order[visit_mask[order]][::-1]
    visit = ordered.tolist()
    found = list(demand)
    at = found.__getitem__

    def run(nodes: list[int]) -> None:
        # ``waiting_on`` and ``capped`` for a node alone, inlined: a call per node would cost
        # a tenth of the loop, and each has a dependant (its active edge), so ``max`` needs no
        # default; zip over map saves indexing ``dependants`` (measured: 77 ms, not 100).
        for n, behind in zip(nodes, map(dependants.__getitem__, nodes), strict=True):
            heaviest = max(map(at, behind))
            total = demand[n] + (heaviest if heaviest > 0.0 else 0.0)
            found[n] = total if total < cap else cap

    begin = 0
    for member in np.flatnonzero(in_cycle[ordered]).tolist():
        run(visit[begin:member])
        n = visit[member]
        found[n] = waiting_on(n, graph, demand, found, cap)
        begin = member + 1
    run(visit[begin:])
    return found
