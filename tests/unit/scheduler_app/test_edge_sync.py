"""Keeping the engine's edges in step: only what a batch changed is read, and it is enough."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from services.scheduler.domain import Portfolio, RiskPolicy
from services.scheduler.handlers import load_portfolio, project_work
from shared.events import Event
from tests.unit.scheduler_app.fakes import InMemoryWorkStore
from tests.unit.scheduler_app.support import TODAY, edge, item, removed

pytestmark = pytest.mark.unit

BLOCKER = "jira:CORE"
DEPENDANTS = [f"jira:D-{n}" for n in range(40)]


class CountingStore(InMemoryWorkStore):
    """Counts the edge documents handed out and the items whose deletions were asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.edges_read = 0
        self.asked: set[str] = set()

    async def dependencies_between(
        self, pairs: Collection[tuple[str, str]]
    ) -> list[dict[str, Any]]:
        found = await super().dependencies_between(pairs)
        self.edges_read += len(found)
        return found

    async def present_edges_touching(self, item_ids: Collection[str]) -> list[dict[str, Any]]:
        found = await super().present_edges_touching(item_ids)
        self.edges_read += len(found)
        return found

    async def edges_touching(self, item_ids: Collection[str]) -> list[dict[str, Any]]:
        found = await super().edges_touching(item_ids)
        self.edges_read += len(found)
        return found

    async def removed_at(self, item_ids: Collection[str]) -> dict[str, datetime]:
        self.asked.update(item_ids)
        return await super().removed_at(item_ids)


async def busy_blocker() -> tuple[CountingStore, Portfolio]:
    store, portfolio = CountingStore(), Portfolio(RiskPolicy())
    batch: list[Event] = [item(BLOCKER, 1, target=30)]
    batch += [item(d, 1, target=10) for d in DEPENDANTS]
    batch += [edge(BLOCKER, d, 2) for d in DEPENDANTS]
    await project_work(batch, store, portfolio, TODAY)
    store.edges_read, store.asked = 0, set()
    return store, portfolio


async def test_a_new_dependant_of_a_busy_blocker_reads_one_edge_not_its_fan_in() -> None:
    store, portfolio = await busy_blocker()

    await project_work(
        [item("jira:NEW", 3, target=10), edge(BLOCKER, "jira:NEW", 3)], store, portfolio, TODAY
    )

    assert store.edges_read == 1
    assert store.asked <= {BLOCKER, "jira:NEW"}
    assessment = portfolio.assessment("jira:NEW")
    assert assessment is not None
    assert BLOCKER in assessment.chain


async def test_deleting_a_busy_blocker_asks_about_no_dependant() -> None:
    store, portfolio = await busy_blocker()

    await project_work([removed(BLOCKER, 5)], store, portfolio, TODAY)

    assert store.asked == {BLOCKER}
    chains = [portfolio.assessment(d).chain for d in DEPENDANTS]  # type: ignore[union-attr]
    assert not any(BLOCKER in chain for chain in chains)


IDS = ["jira:A", "jira:B", "jira:C", "jira:D"]
minutes = st.integers(0, 12)
events = st.one_of(
    st.builds(
        lambda i, m, t: item(i, m, target=t), st.sampled_from(IDS), minutes, st.integers(-5, 30)
    ),
    st.builds(removed, st.sampled_from(IDS), minutes),
    st.builds(edge, st.sampled_from(IDS), st.sampled_from(IDS), minutes, st.booleans()),
)


# A link dated after its dependant's deletion outlives it, yet stays dead: its blocker was
# deleted later still. Deciding it needs the blocker's deletion, which nothing else asked for.
LATE_LINK = [
    [item("jira:Y", 1), item("jira:X", 1), removed("jira:Y", 6)],
    [edge("jira:Y", "jira:X", 5)],
    [removed("jira:X", 3)],
    [item("jira:X", 8)],
]


@settings(max_examples=150, deadline=None)
@example(batches=LATE_LINK)
@given(st.lists(st.lists(events, min_size=1, max_size=5), min_size=1, max_size=6))
async def test_live_edges_always_match_a_reload_of_the_projections(
    batches: list[list[Event]],
) -> None:
    store, live = InMemoryWorkStore(), Portfolio(RiskPolicy())
    for batch in batches:
        await project_work(batch, store, live, TODAY)
        reloaded = await load_portfolio(store, RiskPolicy())
        assert live.assess_all(TODAY) == reloaded.assess_all(TODAY)
