"""When a release's outlook is news: crossing its due date either way, or a big move while late."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.scheduler.domain.release_crossing import Announced, ReleaseOutlook, is_news

pytestmark = pytest.mark.unit

DUE = date(2026, 4, 1)


def outlook(late_by: int | None, target: date | None = DUE) -> ReleaseOutlook:
    forecast = None if late_by is None else DUE + timedelta(days=late_by)
    return ReleaseOutlook(target=target, forecast=forecast)


def late(by: int) -> Announced:
    return Announced(slipping=True, forecast=DUE + timedelta(days=by))


ON_TIME = Announced(slipping=False, forecast=DUE)


def test_forecast_moving_past_the_due_date_is_news() -> None:
    assert is_news(ON_TIME, outlook(1), step_days=7)


def test_release_never_announced_and_late_is_news_but_on_time_is_not() -> None:
    assert is_news(None, outlook(3), step_days=0)
    assert not is_news(None, outlook(0), step_days=0)
    assert not is_news(None, outlook(None), step_days=0)


def test_forecast_coming_back_to_the_due_date_is_news() -> None:
    assert is_news(late(4), outlook(0), step_days=7)
    assert is_news(late(4), outlook(-10), step_days=7)


def test_wobbles_on_either_side_of_the_date_are_not_news() -> None:
    assert not is_news(late(4), outlook(5), step_days=7)
    assert not is_news(late(4), outlook(1), step_days=7)
    assert not is_news(ON_TIME, outlook(-3), step_days=7)


def test_a_big_move_while_late_is_news_only_with_a_step() -> None:
    assert is_news(late(1), outlook(8), step_days=7)
    assert is_news(late(30), outlook(23), step_days=7)
    assert not is_news(late(1), outlook(30), step_days=0)


def test_a_closed_or_undated_release_cannot_slip() -> None:
    assert not outlook(10, target=None).slipping
    assert is_news(late(10), outlook(10, target=None), step_days=7)


def test_slip_days_count_from_the_due_date() -> None:
    assert outlook(6).slip_days == 6
    assert outlook(None).slip_days == 0
