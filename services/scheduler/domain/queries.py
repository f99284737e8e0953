"""Read-only questions a caller asks of a portfolio, answered from its last recomputation."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from services.scheduler.domain.dates import day_of
from services.scheduler.domain.engine import EngineState
from services.scheduler.domain.explanation import continue_chain, first_links
from services.scheduler.domain.model import Assessment, Item
from services.scheduler.domain.reasons.release_at_risk import outlook
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

    def titles(self, item_ids: Iterable[str]) -> dict[str, str]:
        """The titles of those of ``item_ids`` the portfolio knows by a title, for a person
        reading ids in a message (an id without a title is left out)."""
        found = {}
        for item_id in item_ids:
            item = self.item(item_id)
            if item is not None and item.title:
                found[item_id] = item.title
        return found

    def has_release(self, release_id: str) -> bool:
        return release_id in self._state.releases.releases

    def assessments(self) -> dict[str, Assessment]:
        state = self._state
        return {
            state.graph.ids[n]: assessment
            for n in range(len(state.assessments))
            if (assessment := current(state, n)) is not None
        }

    def explain(self, item_id: str) -> tuple[str, ...]:
        """The whole critical chain, unlike ``Assessment.chain`` which stops at the policy's
        ``chain_limit`` to keep stored assessments small (see ``explanation``)."""
        state = self._state
        n = state.find(item_id)
        if n is None or state.facts.items[n] is None:
            return ()
        found = first_links(item_id, state.chains[n])
        while continue_chain(found, state.chains[state.graph.index[found[-1]]]):
            pass
        return tuple(found)

    def release_forecast(self, release_id: str) -> tuple[date | None, tuple[str, ...]]:
        """The latest forecast among the release's items, and the items past its due date."""
        state = self._state
        members = state.releases.members.get(release_id, set())
        finish = {state.graph.ids[n]: state.finish[n] for n in members}
        latest, threatening = outlook(state.releases.due(release_id), finish)
        return day_of(latest), threatening

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
