"""The weekly report's figures against a hand-worked week, and its Markdown and HTML."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.scheduler.report_figures import weekly_report
from services.scheduler.report_http import parse_since
from services.scheduler.report_render import to_html, to_markdown

pytestmark = pytest.mark.unit

SINCE = datetime(2026, 3, 2, 9, tzinfo=UTC)
UNTIL = SINCE + timedelta(days=7)


def on(n: int) -> datetime:
    return datetime(2026, 3, 1, tzinfo=UTC) + timedelta(days=n)


def current(i: str, level: str, score: float, slip: int, forecast: int, **more: Any) -> Any:
    return {"_id": i, "level": level, "score": score, "slip_days": slip, "target": on(10),
            "forecast": on(forecast), "release_id": "R1", "title": f"{i} title",
            **more}  # fmt: skip


def kept(i: str, days: int, level: str, forecast: int | None = None) -> dict[str, Any]:
    return {"_id": f"{i}{days}", "item_id": i, "at": SINCE + timedelta(days=days),
            "level": level, "forecast": None if forecast is None else on(forecast)}  # fmt: skip


WAITS = [{"code": "blocker_late", "message": "waits on B | late", "blocker_id": "B"}]
CURRENT = [
    current("A", "off_track", 80.0, 5, 15, chain=["A", "B", "C"], reasons=WAITS),
    current("B", "at_risk", 50.0, 2, 12, chain=["B", "C"]),
    current("D", "on_track", 0.0, 0, 8),
]
RELEASES = [
    {"_id": "R1", "name": "Spring", "due": on(10), "state": "open"},
    {"_id": "R2", "name": "Old", "due": on(20), "state": "closed"},
]
HISTORY = [
    kept("A", -1, "at_risk", 12),
    kept("B", 1, "at_risk", 12),
    kept("E", -2, "off_track", 30),
    kept("E", 2, "on_track"),
    kept("D", -1, "at_risk", 9),
    kept("D", 3, "on_track", 8),
]
DEMAND = [{"_id": "B", "customers": 3, "weight": 12.5}, {"_id": "X", "customers": 0, "weight": 0}]


@pytest.fixture
def report() -> Any:
    return weekly_report(CURRENT, RELEASES, HISTORY, DEMAND, SINCE, UNTIL)


def test_open_releases_show_forecast_vs_due_and_how_far_it_moved(report: Any) -> None:
    (spring,) = report.releases  # the closed one is left out
    assert spring.forecast == on(15)  # A, the latest forecast among its items
    assert spring.forecast_before == on(12)  # A then 12, B quiet (its target 10), D then 9
    assert (spring.slip_days, spring.moved_days) == (5, 3)


def test_newly_at_risk_and_recovered_compare_the_start_with_now(report: Any) -> None:
    assert [d["_id"] for d in report.newly_at_risk] == ["B"]  # A was already at risk
    assert [(d["_id"], d["level"]) for d in report.recovered] == [
        ("D", "on_track"),
        ("E", "on_track"),  # no longer assessed at all
    ]


def test_longest_slipping_chains_name_their_root_cause(report: Any) -> None:
    assert [(c.item_id, c.members, c.root_cause) for c in report.chains] == [
        ("A", ("A", "B", "C"), "C"),
        ("B", ("B", "C"), "C"),
    ]
    # The reason names its blocker by title too; C is not assessed, so it has none.
    assert report.chains[0].why == "waits on B title (B) | late"
    assert report.chains[0].titles == {"A": "A title", "B": "B title"}


def test_demand_lists_weighted_items_with_their_risk(report: Any) -> None:
    assert [(w.item_id, w.customers, w.level) for w in report.demand] == [("B", 3, "at_risk")]


def test_at_risk_count_at_the_end_of_each_day(report: Any) -> None:
    # At the start A, D and E; B joins on day 1; E recovers on day 2, D on day 3.
    assert [count for _, count in report.at_risk_by_day] == [3, 4, 3, 2, 2, 2, 2, 2]


def test_markdown_has_every_section_and_escapes_table_cells(report: Any) -> None:
    text = to_markdown(report)
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Releases: forecast vs target",
        "## Newly at risk",
        "## Recovered",
        "## Longest slipping chains",
        "## Where customer demand waits",
    ]
    assert "| Spring | 2026-03-11 | 2026-03-16 | +5d | +3d |" in text
    chain = "A title (A) → B title (B) → C"
    assert f"| A | +5d | {chain} | C | waits on B title (B) \\| late |" in text
    assert "<svg" not in text


def test_html_has_the_tables_and_two_inline_charts(report: Any) -> None:
    page = to_html(report)
    assert page.count("<svg") == 2
    assert "<td>Spring</td><td>2026-03-11</td><td>2026-03-16</td><td>+5d</td>" in page
    assert "<polyline" in page


def test_an_empty_week_still_renders() -> None:
    empty = weekly_report([], [], [], [], SINCE, UNTIL)
    assert "Nothing is slipping." in to_markdown(empty)
    assert "No customer demand recorded." in to_html(empty)


def test_since_accepts_spans_and_instants_and_rejects_the_rest() -> None:
    assert parse_since("7d", UNTIL) == SINCE
    assert parse_since("36h", UNTIL) == UNTIL - timedelta(hours=36)
    assert parse_since("2026-03-02T09:00:00+00:00", UNTIL) == SINCE
    for bad in ("yesterday", "2026-03-02T09:00:00", "2027-01-01T00:00:00Z"):
        with pytest.raises(ValueError, match="since"):
            parse_since(bad, UNTIL)
