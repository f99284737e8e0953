"""Hand-computed scenarios: each reason, forecasts along chains, levels and the chain."""

from __future__ import annotations

import pytest

from services.scheduler.domain import Portfolio, Release
from shared.events import RiskLevel
from tests.unit.scheduler.builders import TODAY, day, item

pytestmark = pytest.mark.unit


def codes(portfolio: Portfolio, item_id: str) -> list[tuple[str, str | None]]:
    assessment = portfolio.assessment(item_id)
    assert assessment is not None
    return [(r.code, r.blocker_id) for r in assessment.reasons]


def test_item_without_blockers_is_forecast_on_its_target_and_on_track() -> None:
    portfolio = Portfolio()
    portfolio.upsert_item(item("jira:S-1", target=10))
    portfolio.reassess(TODAY)
    assessment = portfolio.assessment("jira:S-1")
    assert assessment is not None
    assert (assessment.forecast, assessment.slip_days) == (day(10), 0)
    assert (assessment.level, assessment.score, assessment.band) == (RiskLevel.ON_TRACK, 0.0, 0)


def test_blocker_finishing_after_target_puts_item_at_risk() -> None:
    portfolio = Portfolio()
    portfolio.upsert_item(item("jira:L-1", target=12))
    portfolio.upsert_item(item("jira:L-2", target=10))
    portfolio.add_dependency("jira:L-1", "jira:L-2")
    portfolio.reassess(TODAY)
    assessment = portfolio.assessment("jira:L-2")
    assert assessment is not None
    assert (assessment.forecast, assessment.slip_days) == (day(12), 2)
    assert assessment.level is RiskLevel.AT_RISK
    assert codes(portfolio, "jira:L-2") == [("blocker_late", "jira:L-1")]
    assert assessment.reasons[0].evidence["blocker_forecast"] == day(12).isoformat()
    assert assessment.chain == ("jira:L-2", "jira:L-1")


def test_planned_duration_is_added_after_a_late_blocker() -> None:
    # Blocker ends day 8; the item planned days 5..10 (5 days of work), so it ends day 13.
    portfolio = Portfolio()
    portfolio.upsert_item(item("jira:D-1", target=8))
    portfolio.upsert_item(item("jira:D-2", start=5, target=10))
    portfolio.add_dependency("jira:D-1", "jira:D-2")
    portfolio.reassess(TODAY)
    assessment = portfolio.assessment("jira:D-2")
    assert assessment is not None
    assert (assessment.forecast, assessment.slip_days) == (day(13), 3)
    assert assessment.reasons[0].evidence["item_start"] == day(5).isoformat()


def test_blocker_finishing_before_planned_start_is_not_late() -> None:
    portfolio = Portfolio()
    portfolio.upsert_item(item("jira:E-1", target=4))
    portfolio.upsert_item(item("jira:E-2", start=5, target=10))
    portfolio.add_dependency("jira:E-1", "jira:E-2")
    portfolio.reassess(TODAY)
    assert codes(portfolio, "jira:E-2") == []


def test_slip_propagates_across_jira_github_and_linear() -> None:
    # linear:ENG-7 ends day 20; github:acme/api#42 (3 days of work) ends 23; jira:PAY-12
    # (2 days of work, target 15) ends 25: a 10-day slip, so off track.
    portfolio = Portfolio()
    portfolio.upsert_item(item("linear:ENG-7", target=20, team="platform"))
    portfolio.upsert_item(item("github:acme/api#42", start=7, target=10, team="api"))
    portfolio.upsert_item(item("jira:PAY-12", start=13, target=15, team="payments"))
    portfolio.add_dependency("linear:ENG-7", "github:acme/api#42")
    portfolio.add_dependency("github:acme/api#42", "jira:PAY-12")
    portfolio.reassess(TODAY)
    assessment = portfolio.assessment("jira:PAY-12")
    assert assessment is not None
    assert (assessment.forecast, assessment.slip_days) == (day(25), 10)
    assert assessment.level is RiskLevel.OFF_TRACK
    assert assessment.chain == ("jira:PAY-12", "github:acme/api#42", "linear:ENG-7")
    assert portfolio.explain("jira:PAY-12") == assessment.chain


def test_done_blocker_finishes_when_it_was_done() -> None:
    portfolio = Portfolio()
    portfolio.upsert_item(item("gh:F-1", target=1, done=-3))
    portfolio.upsert_item(item("gh:F-2", target=2))
    portfolio.add_dependency("gh:F-1", "gh:F-2")
    portfolio.reassess(TODAY)
    assessment = portfolio.assessment("gh:F-2")
    assert assessment is not None
    assert (assessment.forecast, assessment.reasons) == (day(2), ())


def test_open_blocker_past_its_target_is_reported_overdue() -> None:
    portfolio = Portfolio()
    portfolio.upsert_item(item("jira:O-1", target=-4))
    portfolio.upsert_item(item("jira:O-2", target=30))
    portfolio.add_dependency("jira:O-1", "jira:O-2")
    portfolio.reassess(TODAY)
    assert codes(portfolio, "jira:O-2") == [("blocker_overdue", "jira:O-1")]
    reason = portfolio.assessment("jira:O-2").reasons[0]  # type: ignore[union-attr]
    assert reason.evidence["blocker_target"] == day(-4).isoformat()


def test_item_past_its_own_target_is_off_track() -> None:
    portfolio = Portfolio()
    portfolio.upsert_item(item("jira:V-1", target=-1))
    portfolio.reassess(TODAY)
    assert codes(portfolio, "jira:V-1") == [("item_overdue", None)]
    assert portfolio.assessment("jira:V-1").level is RiskLevel.OFF_TRACK  # type: ignore[union-attr]


def test_silent_blocker_is_stale_only_when_the_target_is_near() -> None:
    portfolio = Portfolio()
    portfolio.upsert_item(item("jira:T-1", target=40, updated=-20))
    portfolio.upsert_item(item("jira:T-2", target=50))
    portfolio.add_dependency("jira:T-1", "jira:T-2")
    portfolio.reassess(TODAY)
    assert codes(portfolio, "jira:T-2") == []
    # The item's target comes within 14 days on day 36.
    assert portfolio.reassess(day(35)) == []
    changes = portfolio.reassess(day(36))
    assert [c.item_id for c in changes] == ["jira:T-2"]
    assert codes(portfolio, "jira:T-2") == [("blocker_stale", "jira:T-1")]


def test_blocker_without_a_date_or_not_yet_known_is_undated() -> None:
    portfolio = Portfolio()
    portfolio.upsert_item(item("jira:U-1"))
    portfolio.upsert_item(item("jira:U-2", target=30))
    portfolio.add_dependency("jira:U-1", "jira:U-2")
    portfolio.add_dependency("linear:U-9", "jira:U-2")
    portfolio.reassess(TODAY)
    assert codes(portfolio, "jira:U-2") == [
        ("blocker_undated", "jira:U-1"),
        ("blocker_undated", "linear:U-9"),
    ]


def test_every_member_of_a_cycle_is_reported_and_forecasting_terminates() -> None:
    portfolio = Portfolio()
    for n in (1, 2, 3):
        portfolio.upsert_item(item(f"jira:C-{n}", target=n))
    portfolio.add_dependency("jira:C-1", "jira:C-2")
    portfolio.add_dependency("jira:C-2", "jira:C-3")
    portfolio.add_dependency("jira:C-3", "jira:C-1")
    portfolio.reassess(TODAY)
    for n in (1, 2, 3):
        assessment = portfolio.assessment(f"jira:C-{n}")
        assert assessment is not None
        assert [r.code for r in assessment.reasons] == ["cycle"]
        assert assessment.reasons[0].evidence["members"] == "jira:C-1,jira:C-2,jira:C-3"
        assert assessment.forecast == day(n)


def test_breaking_a_cycle_clears_the_cycle_reason() -> None:
    portfolio = Portfolio()
    portfolio.upsert_item(item("jira:B-1", target=5))
    portfolio.upsert_item(item("jira:B-2", target=3))
    portfolio.add_dependency("jira:B-1", "jira:B-2")
    portfolio.add_dependency("jira:B-2", "jira:B-1")
    portfolio.reassess(TODAY)
    portfolio.remove_dependency("jira:B-2", "jira:B-1")
    portfolio.reassess(TODAY)
    assert codes(portfolio, "jira:B-1") == []
    assert codes(portfolio, "jira:B-2") == [("blocker_late", "jira:B-1")]


def test_release_with_an_item_forecast_past_due_puts_every_member_at_risk() -> None:
    portfolio = Portfolio()
    portfolio.upsert_release(Release(id="rel:1", name="Spring", due=day(10)))
    portfolio.upsert_item(item("jira:R-1", target=12, release="rel:1"))
    portfolio.upsert_item(item("jira:R-2", target=5, release="rel:1"))
    portfolio.reassess(TODAY)
    assert codes(portfolio, "jira:R-2") == [("release_at_risk", None)]
    assert portfolio.release_forecast("rel:1") == (day(12), ("jira:R-1",))
    portfolio.upsert_item(item("jira:R-1", target=9, release="rel:1"))
    changes = portfolio.reassess(TODAY)
    assert {c.item_id for c in changes} == {"jira:R-1", "jira:R-2"}
    assert codes(portfolio, "jira:R-2") == []
