"""Change detection, scoring, out-of-order events, removal and time-driven re-checks."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from services.scheduler.domain import Item, Portfolio, RiskPolicy
from shared.events import ItemStatus, RiskLevel
from tests.unit.scheduler.builders import TODAY, day, item

pytestmark = pytest.mark.unit


def late_pair(prefix: str, *, blocker_team: str = "a", item_team: str = "a") -> Portfolio:
    portfolio = Portfolio()
    portfolio.upsert_item(item(f"{prefix}-1", target=12, team=blocker_team))
    portfolio.upsert_item(item(f"{prefix}-2", target=10, team=item_team))
    portfolio.add_dependency(f"{prefix}-1", f"{prefix}-2")
    return portfolio


def test_new_on_track_item_is_not_a_notable_change() -> None:
    portfolio = Portfolio()
    portfolio.upsert_item(item("jira:N-1", target=10))
    assert portfolio.reassess(TODAY) == []


def test_new_at_risk_item_is_reported_with_no_before() -> None:
    portfolio = late_pair("jira:NA")
    changes = portfolio.reassess(TODAY)
    assert [(c.item_id, c.before) for c in changes] == [("jira:NA-2", None)]


def test_later_slip_within_the_same_band_is_not_reported_again() -> None:
    portfolio = late_pair("jira:SB")
    portfolio.reassess(TODAY)
    portfolio.upsert_item(item("jira:SB-1", target=13, team="a"))
    assert portfolio.reassess(TODAY) == []
    assessment = portfolio.assessment("jira:SB-2")
    assert assessment is not None
    assert assessment.slip_days == 3


def test_blocker_in_another_team_scores_higher() -> None:
    same = late_pair("jira:T", blocker_team="a", item_team="a")
    other = late_pair("jira:T", blocker_team="b", item_team="a")
    same.reassess(TODAY)
    other.reassess(TODAY)
    assert other.assessment("jira:T-2").score == same.assessment("jira:T-2").score + 10.0  # type: ignore[union-attr]


def test_demand_on_a_dependant_raises_its_blockers_score() -> None:
    portfolio = late_pair("jira:DM")
    portfolio.upsert_item(item("jira:DM-3", target=20))
    portfolio.add_dependency("jira:DM-2", "jira:DM-3")
    portfolio.reassess(TODAY)
    before = portfolio.assessment("jira:DM-2").score  # type: ignore[union-attr]
    portfolio.set_demand("jira:DM-3", 40.0)
    portfolio.reassess(TODAY)
    assert portfolio.assessment("jira:DM-2").score > before  # type: ignore[union-attr]


def test_demand_counts_up_to_the_policy_cap_and_a_change_past_it_walks_no_further() -> None:
    policy = RiskPolicy(demand_cap=50.0)
    capped, beyond = Portfolio(policy), Portfolio(policy)
    for portfolio, weight in ((capped, 50.0), (beyond, 80.0)):
        portfolio.upsert_item(item("jira:DC-1", target=12))
        portfolio.upsert_item(item("jira:DC-2", target=10))
        portfolio.upsert_item(item("jira:DC-3", target=20))
        portfolio.add_dependency("jira:DC-1", "jira:DC-2")
        portfolio.add_dependency("jira:DC-2", "jira:DC-3")
        portfolio.set_demand("jira:DC-3", weight)
        portfolio.reassess(TODAY)
    assert beyond.assessment("jira:DC-2") == capped.assessment("jira:DC-2")
    beyond.set_demand("jira:DC-3", 90.0)
    assert beyond.reassess(TODAY) == []
    assert beyond.assessment("jira:DC-2") == capped.assessment("jira:DC-2")


def test_slip_beyond_the_policy_threshold_is_off_track() -> None:
    portfolio = Portfolio(RiskPolicy(off_track_slip_days=2))
    portfolio.upsert_item(item("jira:P-1", target=12))
    portfolio.upsert_item(item("jira:P-2", target=10))
    portfolio.add_dependency("jira:P-1", "jira:P-2")
    portfolio.reassess(TODAY)
    assert portfolio.assessment("jira:P-2").level is RiskLevel.OFF_TRACK  # type: ignore[union-attr]


def test_edge_arriving_before_its_blocker_counts_undated_until_the_blocker_arrives() -> None:
    portfolio = Portfolio()
    portfolio.add_dependency("linear:ENG-70", "jira:PAY-70")
    portfolio.upsert_item(item("jira:PAY-70", target=10))
    portfolio.reassess(TODAY)
    assert portfolio.assessment("jira:PAY-70").reasons[0].code == "blocker_undated"  # type: ignore[union-attr]
    portfolio.upsert_item(item("linear:ENG-70", target=5))
    changes = portfolio.reassess(TODAY)
    assert [c.item_id for c in changes] == ["jira:PAY-70"]
    assert portfolio.assessment("jira:PAY-70").reasons == ()  # type: ignore[union-attr]


def test_removing_a_blocker_drops_its_edges_and_its_assessment() -> None:
    portfolio = late_pair("jira:RM")
    portfolio.reassess(TODAY)
    portfolio.remove_item("jira:RM-1")
    changes = portfolio.reassess(TODAY)
    assert [c.item_id for c in changes] == ["jira:RM-2"]
    assert portfolio.assessment("jira:RM-1") is None
    assert portfolio.assessment("jira:RM-2").reasons == ()  # type: ignore[union-attr]


def test_recheck_reports_an_item_becoming_overdue_only_once_the_day_comes() -> None:
    portfolio = Portfolio()
    portfolio.upsert_item(item("jira:O-1", target=3))
    portfolio.reassess(TODAY)
    assert portfolio.reassess(day(3)) == []
    changes = portfolio.reassess(day(4))
    assert [c.after.level for c in changes if c.after] == [RiskLevel.OFF_TRACK]
    assert portfolio.reassess(day(9)) == []


def test_long_chain_is_truncated_in_the_assessment_but_explained_in_full() -> None:
    portfolio = Portfolio(RiskPolicy(chain_limit=3))
    ids = [f"github:acme/api#{n}" for n in range(6)]
    for n, item_id in enumerate(ids):
        portfolio.upsert_item(item(item_id, target=10 - n, start=9 - n))
    for blocker, blocked in itertools.pairwise(ids):
        portfolio.add_dependency(blocker, blocked)
    portfolio.reassess(TODAY)
    assert portfolio.assessment(ids[-1]).chain == (ids[5], ids[4], ids[3])  # type: ignore[union-attr]
    assert portfolio.explain(ids[-1]) == tuple(reversed(ids))


def test_undated_blocker_finishing_clears_its_dependants_reason() -> None:
    # Found by the incremental-equals-full property: the dependant was screened against the
    # blocker's new finish with its old facts, so the old "undated" reason looked absent.
    today = date(2026, 3, 2)
    portfolio = Portfolio()
    portfolio.upsert_item(Item("jira:P-0", "P-0", ItemStatus.IN_PROGRESS, target=today))
    portfolio.upsert_item(Item("jira:P-1", "P-1", ItemStatus.IN_PROGRESS))
    portfolio.add_dependency("jira:P-1", "jira:P-0")
    portfolio.reassess(today)
    portfolio.upsert_item(Item("jira:P-1", "P-1", ItemStatus.DONE, done_on=today))
    changes = portfolio.reassess(today)
    assert [(c.item_id, c.after and c.after.level) for c in changes] == [
        ("jira:P-0", RiskLevel.ON_TRACK)
    ]


def test_an_item_removed_and_back_carries_only_its_own_demand() -> None:
    portfolio = Portfolio()
    portfolio.upsert_item(item("jira:RB-0"))
    portfolio.upsert_item(item("jira:RB-1"))
    portfolio.add_dependency("jira:RB-1", "jira:RB-0")
    portfolio.set_demand("jira:RB-0", 1.0)
    portfolio.reassess(TODAY)
    portfolio.remove_item("jira:RB-1")
    portfolio.reassess(TODAY)
    portfolio.upsert_item(item("jira:RB-1", target=0))
    portfolio.reassess(day(1))
    fresh = Portfolio()
    fresh.upsert_item(item("jira:RB-0"))
    fresh.upsert_item(item("jira:RB-1", target=0))
    fresh.set_demand("jira:RB-0", 1.0)
    assert portfolio.assessment("jira:RB-1") == fresh.assess_all(day(1))["jira:RB-1"]


def test_an_item_blocking_itself_counts_its_demand_once() -> None:
    looped, alone = Portfolio(), Portfolio()
    for portfolio in (looped, alone):
        portfolio.upsert_item(item("jira:SL-0", target=0))
        portfolio.set_demand("jira:SL-0", 1.0)
    looped.add_dependency("jira:SL-0", "jira:SL-0")
    scores = [p.assess_all(day(1))["jira:SL-0"].score for p in (looped, alone)]
    # Both are overdue; the loop adds a cycle reason, not a second helping of demand.
    assert scores[0] == scores[1]


def test_an_item_back_after_a_replay_still_goes_overdue_on_its_date() -> None:
    # Its re-check (the day after its target) fell due while it was gone and was dropped; a
    # replay then brought it back before that day, with the same window end.
    portfolio = Portfolio()
    portfolio.upsert_item(item("jira:RP-1", target=4))
    portfolio.reassess(TODAY)
    portfolio.remove_item("jira:RP-1")
    portfolio.reassess(day(20))
    portfolio.upsert_item(item("jira:RP-1", target=4))
    portfolio.reassess(day(-3))

    changes = portfolio.reassess(day(15))
    assert [(c.item_id, c.after and c.after.level) for c in changes] == [
        ("jira:RP-1", RiskLevel.OFF_TRACK)
    ]
