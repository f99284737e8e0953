"""The ordering primitives under the engine: a permutation that respects every active edge."""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.scheduler.domain.graph import DependencyGraph
from services.scheduler.domain.order import order_and_cycles

pytestmark = pytest.mark.unit


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), max_size=40))
def test_order_is_a_permutation_blockers_first_outside_cycles(edges: list[tuple[int, int]]) -> None:
    succ: list[list[int]] = [[] for _ in range(12)]
    pred: list[list[int]] = [[] for _ in range(12)]
    for a, b in set(edges):
        succ[a].append(b)
        pred[b].append(a)
    order, cycles = order_and_cycles(succ, pred)
    assert sorted(order) == list(range(12))
    cycle_of = {n: i for i, members in enumerate(cycles) for n in members}
    position = {n: i for i, n in enumerate(order)}
    for a, b in set(edges):
        if a not in cycle_of or cycle_of.get(a) != cycle_of.get(b):
            assert position[a] < position[b]
    graph = nx.DiGraph(edges)
    expected = {
        frozenset(c)
        for c in nx.strongly_connected_components(graph)
        if len(c) > 1 or graph.has_edge(next(iter(c)), next(iter(c)))
    }
    assert {frozenset(c) for c in cycles} == expected


edge_ops = st.lists(
    st.tuples(st.booleans(), st.integers(0, 9), st.integers(0, 9)), min_size=1, max_size=60
)


@settings(max_examples=300, deadline=None)
@given(edge_ops, st.integers(1, 8))
def test_ranks_and_cycles_stay_right_under_edge_changes(
    ops: list[tuple[bool, int, int]], repair_every: int
) -> None:
    graph = DependencyGraph()
    for n in range(10):
        graph.node(f"n{n}")
    live: set[tuple[int, int]] = set()
    for step, (add, a, b) in enumerate(ops, start=1):
        if add:
            graph.add_edge(a, b)
            live.add((a, b))
        else:
            graph.remove_edge(a, b)
            live.discard((a, b))
        if step % repair_every == 0:
            graph.repair()
            assert sorted(graph.rank) == list(range(10))
            for a_, b_ in live:
                if graph.active(a_, b_):
                    assert graph.rank[a_] < graph.rank[b_]
            reference = nx.DiGraph(live)
            expected = {
                frozenset(c)
                for c in nx.strongly_connected_components(reference)
                if len(c) > 1 or reference.has_edge(next(iter(c)), next(iter(c)))
            }
            assert {frozenset(m) for m in graph.cycles.values()} == expected
