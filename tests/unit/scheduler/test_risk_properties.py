"""Properties over random graphs (cycles included) and random sequences of changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.scheduler.domain import Assessment, Item, Portfolio, Release
from services.scheduler.domain.model import signature_of
from shared.events import ReleaseState
from tests.unit.scheduler.builders import TODAY, item

pytestmark = pytest.mark.unit

IDS = [f"jira:P-{n}" for n in range(7)] + ["github:acme/api#1", "linear:ENG-1"]
RELEASES = ["rel:a", "rel:b"]
offsets = st.one_of(st.none(), st.integers(-20, 40))

items = st.builds(
    lambda i, target, start, done, team, rel, upd: item(
        i, target=target, start=start, done=done, team=team, release=rel, updated=upd
    ),
    st.sampled_from(IDS),
    offsets,
    offsets,
    st.one_of(st.none(), st.none(), st.integers(-20, 20)),
    st.sampled_from([None, "red", "blue"]),
    st.sampled_from([None, *RELEASES]),
    offsets,
)
releases = st.builds(
    lambda rid, due, state: Release(
        id=rid, name=rid, due=None if due is None else TODAY + timedelta(days=due), state=state
    ),
    st.sampled_from(RELEASES),
    offsets,
    st.sampled_from(list(ReleaseState)),
)
edges = st.tuples(st.sampled_from(IDS), st.sampled_from(IDS))
operations = st.one_of(
    st.tuples(st.just("upsert"), items),
    st.tuples(st.just("remove"), st.sampled_from(IDS)),
    st.tuples(st.just("link"), edges),
    st.tuples(st.just("link"), edges),
    st.tuples(st.just("unlink"), edges),
    st.tuples(st.just("release"), releases),
    st.tuples(st.just("demand"), st.tuples(st.sampled_from(IDS), st.sampled_from([0.0, 1, 5]))),
    st.tuples(st.just("tick"), st.integers(-3, 30)),
)


class Mirror:
    """The plain state a projection would hold, to rebuild a portfolio from scratch."""

    def __init__(self) -> None:
        self.items: dict[str, Item] = {}
        self.edges: set[tuple[str, str]] = set()
        self.releases: dict[str, Release] = {}
        self.demand: dict[str, float] = {}

    def apply(self, portfolio: Portfolio, op: str, arg: object) -> None:
        if op == "upsert":
            assert isinstance(arg, Item)
            self.items[arg.id] = arg
            portfolio.upsert_item(arg)
        elif op == "remove":
            assert isinstance(arg, str)
            if self.items.pop(arg, None) is not None:
                self.edges = {e for e in self.edges if arg not in e}
            portfolio.remove_item(arg)
        elif op in ("link", "unlink"):
            assert isinstance(arg, tuple)
            (self.edges.add if op == "link" else self.edges.discard)(arg)
            (portfolio.add_dependency if op == "link" else portfolio.remove_dependency)(*arg)
        elif op == "release":
            assert isinstance(arg, Release)
            self.releases[arg.id] = arg
            portfolio.upsert_release(arg)
        elif op == "demand":
            assert isinstance(arg, tuple)
            self.demand[arg[0]] = arg[1]
            portfolio.set_demand(*arg)

    def rebuild(self, today_offset: int) -> dict[str, Assessment]:
        fresh = Portfolio()
        for e in sorted(self.edges, reverse=True):
            fresh.add_dependency(*e)
        for i in sorted(self.items.values(), key=lambda x: x.id):
            fresh.upsert_item(i)
        for r in self.releases.values():
            fresh.upsert_release(r)
        for key, weight in self.demand.items():
            fresh.set_demand(key, weight)
        return fresh.assess_all(TODAY + timedelta(days=today_offset))


@settings(max_examples=250, deadline=None)
@given(st.lists(operations, min_size=1, max_size=40), st.booleans())
def test_incremental_equals_full_recomputation_and_reports_exactly_the_notable_changes(
    ops: list[tuple[str, object]], start_with_full_pass: bool
) -> None:
    portfolio, mirror, offset = Portfolio(), Mirror(), 0
    seen: dict[str, Assessment] = {}
    for op, arg in ops:
        if op == "tick":
            assert isinstance(arg, int)
            offset = arg
        else:
            mirror.apply(portfolio, op, arg)
        if start_with_full_pass and not seen:
            # A full pass leaves quiet assessments unbuilt; later changes must still report
            # exactly what was there before.
            portfolio.recompute_all(TODAY + timedelta(days=offset))
            seen = mirror.rebuild(offset)
            continue
        changes = portfolio.reassess(TODAY + timedelta(days=offset))
        now = mirror.rebuild(offset)
        expected = {
            i: (seen.get(i), now.get(i))
            for i in seen.keys() | now.keys()
            if signature_of(seen.get(i)) != signature_of(now.get(i))
        }
        assert {c.item_id: (c.before, c.after) for c in changes} == expected
        if not start_with_full_pass:
            assert portfolio.assessments() == now
        seen = now
    assert portfolio.assessments() == mirror.rebuild(offset)


graphs = st.lists(edges, max_size=25)
dated = st.lists(st.tuples(st.sampled_from(IDS), offsets, offsets), max_size=12)


def build(
    links: list[tuple[str, str]], dates: list[tuple[str, int | None, int | None]]
) -> Portfolio:
    portfolio = Portfolio()
    for i in IDS:
        portfolio.upsert_item(item(i, target=10))
    for i, target, start in dates:
        portfolio.upsert_item(item(i, target=target, start=start))
    for e in links:
        portfolio.add_dependency(*e)
    return portfolio


@settings(max_examples=150, deadline=None)
@given(graphs, dated, st.sampled_from(IDS), st.integers(1, 30))
def test_a_blocker_moving_later_never_moves_a_dependant_earlier(
    links: list[tuple[str, str]],
    dates: list[tuple[str, int | None, int | None]],
    moved: str,
    days: int,
) -> None:
    portfolio = build(links, dates)
    before = portfolio.assess_all(TODAY)
    plans = {i: item(i, target=10) for i in IDS}
    plans.update({i: item(i, target=t, start=st_) for i, t, st_ in dates})
    original = plans[moved]
    shift = timedelta(days=days)
    later = replace(
        original,
        target=None if original.target is None else original.target + shift,
        start=None if original.start is None else original.start + shift,
    )
    portfolio.upsert_item(later)
    portfolio.reassess(TODAY)
    for i, was in before.items():
        now = portfolio.assessment(i)
        assert now is not None
        if was.forecast is not None and i != moved:
            assert now.forecast is not None
            assert now.forecast >= was.forecast


@settings(max_examples=150, deadline=None)
@given(graphs)
def test_cycles_terminate_and_every_member_is_reported(links: list[tuple[str, str]]) -> None:
    portfolio = build(links, [])
    assessed = portfolio.assess_all(TODAY)
    graph = nx.DiGraph(links)
    in_cycle = {
        n
        for component in nx.strongly_connected_components(graph)
        for n in component
        if len(component) > 1 or graph.has_edge(n, n)
    }
    flagged = {i for i, a in assessed.items() if any(r.code == "cycle" for r in a.reasons)}
    assert flagged == in_cycle
