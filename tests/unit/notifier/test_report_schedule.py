"""The weekly report's next run: a weekday and hour on the person's clock, across DST."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from services.notifier.domain.people import ChannelKind
from services.notifier.domain.report_message import report_payload
from services.notifier.domain.report_schedule import ReportSchedule, next_run
from services.notifier.schemas import SubscriptionBody
from tests.support.notifier_receivers import block_kit_errors

pytestmark = pytest.mark.unit

MONDAY_NINE = ReportSchedule(weekday=0, hour=9)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_the_next_monday_nine_is_in_the_persons_zone() -> None:
    # Wednesday 2 December 2026; Berlin is UTC+1 in winter.
    assert next_run(MONDAY_NINE, "Europe/Berlin", utc(2026, 12, 2, 12)) == utc(2026, 12, 7, 8)
    assert next_run(MONDAY_NINE, "America/New_York", utc(2026, 12, 2, 12)) == utc(2026, 12, 7, 14)


def test_on_the_day_before_the_hour_it_is_today_and_at_the_hour_next_week() -> None:
    assert next_run(MONDAY_NINE, "UTC", utc(2026, 12, 7, 8, 59)) == utc(2026, 12, 7, 9)
    assert next_run(MONDAY_NINE, "UTC", utc(2026, 12, 7, 9)) == utc(2026, 12, 14, 9)


def test_across_the_spring_change_nine_stays_nine_on_the_wall_clock() -> None:
    # Berlin moves to UTC+2 on Sunday 29 March 2026.
    before = next_run(MONDAY_NINE, "Europe/Berlin", utc(2026, 3, 20, 12))
    after = next_run(MONDAY_NINE, "Europe/Berlin", before)
    assert (before, after) == (utc(2026, 3, 23, 8), utc(2026, 3, 30, 7))


def test_across_the_autumn_change_and_a_local_date_ahead_of_utc() -> None:
    # Berlin back to UTC+1 on Sunday 25 October 2026; Auckland's Monday starts on UTC's Sunday.
    assert next_run(MONDAY_NINE, "Europe/Berlin", utc(2026, 10, 20)) == utc(2026, 10, 26, 8)
    assert next_run(MONDAY_NINE, "Pacific/Auckland", utc(2026, 12, 6, 19)) == utc(2026, 12, 6, 20)


def test_an_hour_in_the_spring_gap_is_taken_an_hour_later_on_the_wall_clock() -> None:
    sunday_two = ReportSchedule(weekday=6, hour=2)
    assert next_run(sunday_two, "Europe/Berlin", utc(2026, 3, 28)) == utc(2026, 3, 29, 1)


def test_a_report_subscription_needs_its_schedule_and_nothing_else() -> None:
    body = {"person_id": "ada", "channel": "email", "filter": {"events": ["report"]}}
    schedule = {"weekday": "monday", "hour": 9}
    assert SubscriptionBody.model_validate({**body, "schedule": schedule}).report_schedule() == (
        MONDAY_NINE
    )
    with pytest.raises(ValidationError, match="needs a schedule"):
        SubscriptionBody.model_validate(body)
    mixed = {**body, "filter": {"events": ["report", "risk"]}, "schedule": schedule}
    with pytest.raises(ValidationError, match="only"):
        SubscriptionBody.model_validate(mixed)
    with pytest.raises(ValidationError):
        SubscriptionBody.model_validate({**body, "schedule": {"weekday": "mon", "hour": 25}})


def test_the_report_on_slack_is_a_summary_with_a_link() -> None:
    figures = {
        "releases": [{"due": "2026-12-10T00:00:00+00:00", "forecast": "2026-12-18T00:00:00+00:00"}],
        "newly_at_risk": [{}, {}],
        "recovered": [],
        "demand": [{}],
    }
    slack = report_payload(ChannelKind.SLACK, figures, "", "", "http://s/report?format=html")
    assert block_kit_errors(slack) == []
    text = slack["blocks"][1]["text"]["text"]
    assert "1 releases (1 slipping), 2 items newly at risk, 0 recovered" in text
    assert "<http://s/report?format=html|Open the report>" in text
