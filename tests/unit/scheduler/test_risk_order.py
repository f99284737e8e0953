"""The ordering primitives under the engine: a permutation that respects every active edge."""

from __future__ import annotations

from collections.abc import Iterator
from unittest import mock

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.scheduler.domain import graph as graph_module
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
    st.tuples(st.booleans(), st.integers(0, 9), st.integers(0, 9)), min_size=1, max_size=80
)


def changes(ops: list[tuple[bool, int, int]]) -> Iterator[tuple[bool, int, int]]:
    """Adds as drawn; each removal takes a live edge (drawn pairs rarely are one), so cycles
    form and split often."""
    live: set[tuple[int, int]] = set()
    for add, a, b in ops:
        if not add and live:
            a, b = sorted(live)[(a * 31 + b) % len(live)]
        (live.add if add else live.discard)((a, b))
        yield add, a, b


def assert_order_matches(graph: DependencyGraph, live: set[tuple[int, int]], size: int) -> None:
    """Ranks a permutation, every edge outside a cycle forwards (whole components apart),
    and the components exactly networkx's."""
    assert sorted(graph.rank) == list(range(size))
    reference = nx.DiGraph()
    reference.add_nodes_from(range(size))
    reference.add_edges_from(live)
    components = [frozenset(c) for c in nx.strongly_connected_components(reference)]
    assert {frozenset(graph.unit(n)) for n in range(size)} == set(components)
    for a, b in live:
        if graph.active(a, b):
            assert max(graph.rank[m] for m in graph.unit(a)) < min(
                graph.rank[m] for m in graph.unit(b)
            )
    expected = {c for c in components if len(c) > 1 or reference.has_edge(*[next(iter(c))] * 2)}
    assert {frozenset(m) for m in graph.cycles.values()} == expected
    assert all(graph.cycle_members(n) == () for n in range(size) if graph.cycle_of[n] < 0)


@settings(max_examples=300, deadline=None)
@given(edge_ops)
def test_ranks_and_cycles_stay_right_after_every_edge_change(
    ops: list[tuple[bool, int, int]],
) -> None:
    graph = DependencyGraph()
    for n in range(10):
        graph.node(f"n{n}")
    live: set[tuple[int, int]] = set()
    for add, a, b in changes(ops):
        if add:
            assert graph.add_edge(a, b) == ((a, b) not in live)
            live.add((a, b))
        else:
            assert graph.remove_edge(a, b) == ((a, b) in live)
            live.discard((a, b))
        assert_order_matches(graph, live, 10)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 29), st.integers(0, 29)), max_size=60),
    st.lists(st.tuples(st.booleans(), st.integers(0, 29), st.integers(0, 29)), max_size=60),
)
def test_edge_changes_never_reorder_the_whole_graph(
    start: list[tuple[int, int]], ops: list[tuple[bool, int, int]]
) -> None:
    graph = DependencyGraph()
    for n in range(30):
        graph.node(f"n{n}")
    live = set(start)
    for a, b in start:
        graph.add_edge(a, b)

    def rebuilt(*_: object) -> None:
        raise AssertionError("an edge change rebuilt the whole order")

    with mock.patch.object(graph_module, "order_and_cycles", rebuilt):
        for add, a, b in changes(ops):
            if add:
                graph.add_edge(a, b)
                live.add((a, b))
            else:
                graph.remove_edge(a, b)
                live.discard((a, b))
    assert_order_matches(graph, live, 30)


@settings(max_examples=100, deadline=None)
@given(edge_ops)
def test_cycle_changes_name_exactly_the_nodes_whose_cycle_changed(
    ops: list[tuple[bool, int, int]],
) -> None:
    graph = DependencyGraph()
    for n in range(10):
        graph.node(f"n{n}")
    for add, a, b in changes(ops):
        before = [graph.cycle_members(n) for n in range(10)]
        (graph.add_edge if add else graph.remove_edge)(a, b)
        after = [graph.cycle_members(n) for n in range(10)]
        moved = {n for n in range(10) if before[n] != after[n]}
        assert moved <= graph.take_cycle_changes()
