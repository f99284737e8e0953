"""The portfolio: a mutable, in-memory dependency graph that keeps every item assessed.

Mutations only record what they touched; ``reassess`` (events and the timer alike) then
re-derives demand upstream and forecasts downstream from those nodes alone, re-assesses what
changed plus the items whose time window has run out, and returns the notable changes.

Removing an item drops its edges too: a deleted blocker no longer blocks. A dependency event
arriving later re-creates the edge, and the missing blocker counts as undated until it returns.
Ids are never forgotten within a portfolio's lifetime (a restart rebuilds from projections).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date

import numpy as np

from services.scheduler.domain.blocker_reasons import Blocker, edge_screen
from services.scheduler.domain.dates import NO_DATE, ordinal
from services.scheduler.domain.engine import EngineState
from services.scheduler.domain.flagged import assess_flagged
from services.scheduler.domain.model import (
    Assessment,
    AssessmentChange,
    Item,
    Release,
    RiskPolicy,
    signature_of,
)
from services.scheduler.domain.propagation import demand_pass, forecast_pass, full_pass
from services.scheduler.domain.queries import PortfolioQueries
from services.scheduler.domain.rechecks import Rechecks
from services.scheduler.domain.risk_windows import find_all
from services.scheduler.domain.verdict import assess_node, current
from services.scheduler.domain.wide_items import blocker_changed, forget, seed
from services.scheduler.domain.window import FOREVER
from shared.events import ItemStatus


class Portfolio(PortfolioQueries):
    """Pure and single-threaded: time comes in as ``today``, nothing is read from a clock."""

    def __init__(self, policy: RiskPolicy | None = None) -> None:
        self._state = EngineState(policy=policy or RiskPolicy())
        self._forecast_dirty: set[int] = set()
        self._demand_dirty: set[int] = set()
        self._assess_dirty: set[int] = set()
        self._releases_touched: set[str] = set()
        self._facts_before: dict[int, Item | None] = {}
        # The finish those facts had: a dependant's old reasons were screened against it, and
        # the forecast pass will have moved it by the time dependants are screened.
        self._finish_before: dict[int, int] = {}
        self._rechecks = Rechecks()
        self._today: int | None = None

    # -- mutations: record what is touched, compute nothing ------------------------------

    def upsert_item(self, item: Item) -> None:
        state = self._state
        n = state.node(item.id)
        old = state.facts.items[n]
        if old == item:
            return
        old_release = None if old is None else old.release_id
        current(state, n)  # build a quiet assessment from the facts it was made from
        state.facts.set_item(n, item)
        # Wide dependants re-screen it; its own kept screen keys on its dates (``wide_items``).
        blocker_changed(state, n)
        if old_release != item.release_id:
            if old_release is not None:
                state.releases.leave(n, old_release)
                self._releases_touched.add(old_release)
            if item.release_id is not None:
                state.releases.join(n, item.release_id, state.finish[n])
                self._releases_touched.add(item.release_id)
        self._forecast_dirty.add(n)
        self._assess_dirty.add(n)
        # Dependants quote this item's status, dates and team; which of them care is decided
        # at the next ``reassess``, when ``today`` is known.
        self._facts_before.setdefault(n, old)
        self._finish_before.setdefault(n, state.finish[n])

    def remove_item(self, item_id: str) -> None:
        state = self._state
        n = state.find(item_id)
        item = None if n is None else state.facts.items[n]
        if n is None or item is None:
            return
        if item.release_id is not None:
            state.releases.leave(n, item.release_id)
            self._releases_touched.add(item.release_id)
        current(state, n)
        state.facts.set_item(n, None)
        blockers, dependants = state.graph.drop_edges(n)
        for m in (n, *dependants):  # their blockers changed
            forget(state, m)
        self._forecast_dirty.add(n)
        self._forecast_dirty.update(dependants)
        self._assess_dirty.add(n)
        self._assess_dirty.update(dependants)
        self._demand_dirty.update(blockers)
        # Its dependants went with its edges: what waits on it is its own demand alone now, which
        # it must show if it comes back (a random sequence found the stale value).
        self._demand_dirty.add(n)

    def add_dependency(self, blocker_id: str, blocked_id: str) -> None:
        u, v = self._state.node(blocker_id), self._state.node(blocked_id)
        if self._state.graph.add_edge(u, v):
            self._edge_touched(u, v)

    def remove_dependency(self, blocker_id: str, blocked_id: str) -> None:
        u, v = self._state.find(blocker_id), self._state.find(blocked_id)
        if u is not None and v is not None and self._state.graph.remove_edge(u, v):
            self._edge_touched(u, v)

    def _edge_touched(self, u: int, v: int) -> None:
        forget(self._state, v)
        self._forecast_dirty.add(v)
        self._assess_dirty.add(v)
        self._demand_dirty.add(u)

    def upsert_release(self, release: Release) -> None:
        book = self._state.releases
        if book.releases.get(release.id) == release:
            return
        book.upsert(release, self._state.finish)
        self._releases_touched.add(release.id)
        # Every member quotes the release's name and due date when it is at risk.
        self._assess_dirty.update(book.members[release.id])

    def own_demand(self, item_id: str) -> float:
        """The demand weight waiting on the item itself (not on its dependants)."""
        n = self._state.find(item_id)
        return 0.0 if n is None else self._state.facts.demand[n]

    def set_demand(self, item_id: str, weight: float) -> None:
        n = self._state.node(item_id)
        if self._state.facts.demand[n] != weight:
            self._state.facts.demand[n] = weight
            self._demand_dirty.add(n)

    # -- recomputation ---------------------------------------------------------------------

    def reassess(self, day: date) -> list[AssessmentChange]:
        """Apply everything since the last call, and re-assess the items whose time window
        ``day`` leaves (the timer calls it with nothing pending); only notable changes return."""
        today = day.toordinal()
        state, graph = self._state, self._state.graph
        changed = graph.take_cycle_changes()
        if changed:
            for c in changed:  # which edges count changed for them and their dependants
                forget(state, c)
                for d in graph.dependants[c]:
                    forget(state, d)
            self._forecast_dirty |= changed
            self._assess_dirty |= changed
            self._demand_dirty |= changed
        demand_pass(state, self._demand_dirty, self._assess_dirty)
        forecast_pass(state, self._forecast_dirty, self._assess_dirty, self._releases_touched)
        self._screen_dependants(today)
        for rid in state.releases.refresh(self._releases_touched):
            self._assess_dirty |= state.releases.members[rid]
        self._expire(today)
        changes = self._assess(self._assess_dirty, today)
        self._forecast_dirty, self._demand_dirty, self._assess_dirty = set(), set(), set()
        self._releases_touched = set()
        self._facts_before = {}
        self._finish_before = {}
        return changes

    def _screen_dependants(self, today: int) -> None:
        """Re-assess a changed item's dependants only where an edge may give a reason.

        Elsewhere only the dependant's time window can move, and only earlier matters (a late
        window merely costs a spare re-check), so it is narrowed in place.
        """
        state = self._state
        graph, facts = state.graph, state.facts
        for b, old in self._facts_before.items():
            item = facts.items[b]
            before = _screen_facts(old)
            now = _screen_facts(item)
            for d in graph.dependants[b]:
                if d in self._assess_dirty or not graph.active(b, d):
                    continue
                old_finish = self._finish_before.get(b, state.finish[b])
                was, _ = edge_screen(state, d, before, old_finish, today)
                suspect, until = edge_screen(state, d, now, state.finish[b], today)
                if was or suspect:
                    self._assess_dirty.add(d)
                elif until < state.valid_until[d]:
                    state.valid_until[d] = until
                    self._rechecks.push(until, d)

    def _expire(self, today: int) -> None:
        state = self._state
        if self._today is not None and today < self._today:
            # Time went backwards (a replay): any window may be broken, check them all.
            for n, start in enumerate(state.valid_from):
                if start > today or state.valid_until[n] <= today:
                    self._assess_dirty.add(n)
        for until, n in self._rechecks.due(today):
            if state.valid_until[n] == until:
                self._assess_dirty.add(n)
        self._today = today

    def _assess(self, nodes: Iterable[int], today: int) -> list[AssessmentChange]:
        state, changes = self._state, []
        for n in nodes:
            before = current(state, n)
            after, start, until = None, 0, FOREVER
            if state.facts.items[n] is not None:
                after, start, until = assess_node(state, n, today)
            # A removed item has no window. Left in place, it hid a lost re-check: the one due
            # while the item was gone is taken and dropped, and an item back with the same
            # window end was never pushed another, so it went overdue unnoticed.
            state.valid_from[n] = start
            if until != state.valid_until[n]:
                state.valid_until[n] = until
                if until < FOREVER:
                    self._rechecks.push(until, n)
            state.assessments[n] = after
            state.unbuilt.discard(n)
            if signature_of(before) != signature_of(after):
                changes.append(AssessmentChange(before=before, after=after))
        changes.sort(key=lambda change: change.item_id)
        return changes

    def assess_all(self, today: date) -> dict[str, Assessment]:
        """Recompute everything from scratch (start-up, audits) and return every assessment."""
        self.recompute_all(today)
        return self.assessments()

    def recompute_all(self, today: date) -> None:
        """Recompute everything from scratch, pending mutations included, reporting nothing.

        Assessments of on-track items are built on first access rather than here.
        """
        with _collector_paused():
            self._assess_everything(today.toordinal())

    def _assess_everything(self, today: int) -> None:
        state = self._state
        state.unbuilt = set()
        arrays, finish = full_pass(state)
        found = find_all(state, arrays, finish, today)
        seed(state, found.screens, found.after, arrays.target, today)
        assessments: list[Assessment | None] = [None] * arrays.size
        for n, assessment in zip(
            found.flagged.tolist(), assess_flagged(state, arrays, found, finish, today), strict=True
        ):
            assessments[n] = assessment
        state.assessments = assessments
        # Everything else known is quiet (or done): built on first access, see ``current``.
        quiet = arrays.known.copy()
        quiet[found.flagged] = False
        state.unbuilt = set(np.flatnonzero(quiet).tolist())
        state.valid_from = found.valid_from.tolist()
        state.valid_until = found.valid_until.tolist()
        timed = np.flatnonzero(arrays.known & (found.valid_until < FOREVER))
        self._rechecks.replace_all(found.valid_until[timed], timed)
        self._forecast_dirty, self._demand_dirty, self._assess_dirty = set(), set(), set()
        self._releases_touched = set()
        self._facts_before = {}
        self._finish_before = {}
        self._today = today


def _screen_facts(item: Item | None) -> Blocker:
    if item is None:
        return False, False, NO_DATE, NO_DATE
    updated = NO_DATE if item.updated_at is None else item.updated_at.toordinal()
    return True, item.status is not ItemStatus.DONE, ordinal(item.target), updated


@contextmanager
def _collector_paused() -> Iterator[None]:
    """A full pass allocates about a million small containers, none in a reference cycle, so
    reference counting frees them all; letting the cyclic collector trace them again and again
    meanwhile doubled the pass's time (measured). The previous setting is restored."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
