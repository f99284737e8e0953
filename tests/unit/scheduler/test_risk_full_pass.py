"""The full pass computes over arrays; it must agree with the incremental passes everywhere,
including the plans its fast paths do not cover."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from services.scheduler.domain import Assessment, Item, Portfolio, Release, RiskPolicy
from tests.unit.scheduler.builders import TODAY, day, item

pytestmark = pytest.mark.unit


def incremental_and_full(
    items: list[Item], edges: list[tuple[str, str]]
) -> tuple[dict[str, Assessment], dict[str, Assessment]]:
    step, full = Portfolio(), Portfolio()
    for portfolio in (step, full):
        for i in items:
            portfolio.upsert_item(i)
        for e in edges:
            portfolio.add_dependency(*e)
    step.reassess(TODAY)
    return step.assessments(), full.assess_all(TODAY)


def test_a_chain_too_long_to_relax_in_rounds_is_forecast_like_the_incremental_pass() -> None:
    # Without targets every item is driven by its blocker, so dates are never absorbed.
    ids = [f"jira:LONG-{n}" for n in range(400)]
    items = [item(ids[0], target=-3), *(item(i, start=-40) for i in ids[1:])]
    step, full = incremental_and_full(items, list(itertools.pairwise(ids)))
    assert full == step
    assert full[ids[-1]].forecast == full[ids[0]].forecast
    assert [r.code for r in full[ids[-1]].reasons] == ["blocker_late"]


def test_random_plans_with_ties_cycles_and_unknown_blockers_agree_with_incremental() -> None:
    rng = random.Random(11)
    ids = [f"linear:RND-{n}" for n in range(300)]
    items = [
        item(i, target=rng.choice([None, *range(-5, 30)]), start=rng.choice([None, -10, 0, 5]))
        for i in ids[:280]  # the last twenty stay unknown
    ]
    edges = {(rng.choice(ids[:-1]), rng.choice(ids)) for _ in range(900)}
    step, full = incremental_and_full(items, sorted(edges))
    assert full == step
    assert any(r.code == "cycle" for a in full.values() for r in a.reasons)


def test_random_plans_with_teams_releases_staleness_and_demand_score_like_incremental() -> None:
    rng = random.Random(23)
    ids = [f"github:acme/api#{n}" for n in range(300)]
    releases = [Release(id=f"rel:{r}", name=f"R{r}", due=day(rng.randint(-5, 25))) for r in "ab"]
    items = [
        item(
            i,
            target=rng.choice([None, *range(-10, 40)]),
            start=rng.choice([None, -10, 0, 5]),
            done=rng.choice([None, None, None, -2]),
            team=rng.choice([None, "red", "blue"]),
            release=rng.choice([None, "rel:a", "rel:b"]),
            updated=rng.choice([None, -40, -20, -5, 0]),
        )
        for i in ids[:290]
    ]
    # Mostly forwards, so blockers rather than one big cycle give most reasons.
    pairs = [sorted(rng.sample(range(300), 2)) for _ in range(800)] + [
        [12, 40],
        [40, 12],
        [295, 100],
    ]
    edges = sorted({(ids[a], ids[b]) for a, b in pairs})
    demand = {i: rng.choice([1, 2.5, 40]) for i in ids[::7]}
    step, full = Portfolio(), Portfolio()
    for portfolio in (step, full):
        for release in releases:
            portfolio.upsert_release(release)
        for i in items:
            portfolio.upsert_item(i)
        for e in edges:
            portfolio.add_dependency(*e)
        for item_id, weight in demand.items():
            portfolio.set_demand(item_id, weight)
    step.reassess(TODAY)
    assert full.assess_all(TODAY) == step.assessments()


def test_a_cycle_carries_its_members_summed_demand_so_closing_one_leaves_upstream_as_it_was() -> (
    None
):
    # "up" is overdue, so it is scored and its score shows the demand waiting on it:
    # up -> a -> b -> c, with a 3, b 4 and c 10 waiting: 17 on "up" before and after b -> a.
    step = Portfolio()
    for i in (item("up", target=-5), item("a", target=5), item("b", target=6), item("c", target=7)):
        step.upsert_item(i)
    for e in (("up", "a"), ("a", "b"), ("b", "c")):
        step.add_dependency(*e)
    for item_id, weight in (("a", 3.0), ("b", 4.0), ("c", 10.0)):
        step.set_demand(item_id, weight)
    step.reassess(TODAY)
    before = step.assessments()["up"].score
    step.add_dependency("b", "a")  # closes a <-> b
    changes = step.reassess(TODAY)
    fresh = Portfolio()
    for i in (item("up", target=-5), item("a", target=5), item("b", target=6), item("c", target=7)):
        fresh.upsert_item(i)
    for e in (("up", "a"), ("a", "b"), ("b", "c"), ("b", "a")):
        fresh.add_dependency(*e)
    for item_id, weight in (("a", 3.0), ("b", 4.0), ("c", 10.0)):
        fresh.set_demand(item_id, weight)
    policy = RiskPolicy()
    expected = round(policy.off_track_base + policy.demand_weight * math.log1p(17.0), 2)
    assert before == expected
    assert step.assessments()["up"].score == expected
    assert fresh.assess_all(TODAY)["up"].score == expected
    assert "up" not in {c.item_id for c in changes}
