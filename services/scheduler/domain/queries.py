"""Read-only questions a caller asks of a portfolio, answered from its last recomputation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from services.scheduler.domain.facts import day_of
from services.scheduler.domain.model import Assessment, Item
from services.scheduler.domain.state import FOREVER, EngineState
from services.scheduler.domain.verdict import current


class PortfolioQueries:
    """Mixed into ``Portfolio``; answers reflect the state as of the last ``reassess``."""

    _state: EngineState

    def assessment(self, item_id: str) -> Assessment | None:
        n = self._state.find(item_id)
        return None if n is None else current(self._state, n)

    def item(self, item_id: str) -> Item | None:
        n = self._state.find(item_id)
        return None if n is None else self._state.facts.items[n]

    def assessments(self) -> dict[str, Assessment]:
        state = self._state
        return {
            state.graph.ids[n]: assessment
            for n in range(len(state.assessments))
            if (assessment := current(state, n)) is not None
        }

    def explain(self, item_id: str) -> tuple[str, ...]:
        """The whole critical chain, unlike ``Assessment.chain`` which stops at the policy's
        ``chain_limit`` to keep stored assessments small."""
        state = self._state
        n = state.find(item_id)
        if n is None or state.facts.items[n] is None:
            return ()
        chain = [item_id]
        n = state.critical[n]
        while n >= 0:
            chain.append(state.graph.ids[n])
            n = state.critical[n]
        return tuple(chain)

    def release_forecast(self, release_id: str) -> tuple[date | None, tuple[str, ...]]:
        """The latest forecast among the release's items, and the items past its due date."""
        state = self._state
        members = state.releases.members.get(release_id, set())
        latest = max((state.finish[n] for n in members), default=-1)
        ids = state.graph.ids
        threatening = sorted(ids[n] for n in state.releases.late_members(release_id))
        return day_of(latest), tuple(threatening)

    def time_sensitive(self) -> frozenset[str]:
        """Items whose assessment will change with the date alone (overdue, stale, near)."""
        state = self._state
        items, ids = state.facts.items, state.graph.ids
        return frozenset(
            ids[n]
            for n, item in enumerate(items)
            if item is not None and (state.valid_until[n] < FOREVER or state.valid_from[n] > 0)
        )

    def next_recheck(self) -> date | None:
        """The first day on which some assessment's time window runs out."""
        state = self._state
        until = min(
            (u for n, u in enumerate(state.valid_until) if state.facts.items[n] is not None),
            default=FOREVER,
        )
        return None if until >= FOREVER else day_of(until)

    def assessment_slots(self) -> tuple[Sequence[Assessment | None], Sequence[str]]:
        """Per-node assessments and ids, read-only, for callers that diff successive states.

        The engine replaces a node's assessment object whenever it re-evaluates the node, so a
        caller that keeps the previous slots finds what changed by identity, in C, instead of
        building every assessment's document. Fetch them again after each recomputation.
        """
        state = self._state
        for n in list(state.unbuilt):  # left unbuilt by ``recompute_all``; empty otherwise
            current(state, n)
        return state.assessments, state.graph.ids
