"""GitHub Projects (v2) date fields become schedule changes named by the issue's node id."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.ingest.domain import Delivery, SourceRules
from services.ingest.domain.github_links import project_date_change
from shared.events import ItemChangedV1, ItemScheduleChangedV1, ScheduleField
from tests.unit.ingest.support import (
    SECRET,
    as_body,
    delivery,
    fixture,
    fixture_json,
    hex_signature,
    ingest,
)

pytestmark = pytest.mark.unit

DATE_EDIT = "github/projects_v2_item.edited.date_field.json"
NODE = "DI_lADOAWcTxs07G84AIjOy"


def github(event: str, body: bytes) -> Delivery:
    return delivery(
        "github",
        body,
        {
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": "guid-projects",
            "X-Hub-Signature-256": "sha256=" + hex_signature(body, SECRET),
        },
    )


def issue_date_edit(
    name: str = "Start Date", to: str | None = "2025-08-01T00:00:00+00:00"
) -> bytes:
    """The captured date edit, as it reads when the project item is an issue (not a draft)."""
    payload = fixture_json(DATE_EDIT)
    payload["projects_v2_item"]["content_type"] = "Issue"  # type: ignore[index]
    payload["changes"]["field_value"] |= {"field_name": name, "to": to}  # type: ignore[index]
    return as_body(payload)


def schedule_of(body: bytes, rules: SourceRules | None = None) -> ItemScheduleChangedV1:
    (event,) = ingest(github("projects_v2_item", body), rules).events
    assert isinstance(event, ItemScheduleChangedV1)
    return event


def test_start_date_edit_becomes_a_schedule_change_named_by_node_id() -> None:
    event = schedule_of(issue_date_edit())
    assert event.item_ref == f"github-node:{NODE}"
    assert (event.fields, event.start, event.target) == (
        (ScheduleField.START,),
        date(2025, 8, 1),
        None,
    )
    assert event.source_updated_at == datetime(2022, 6, 8, 20, 34, 26, tzinfo=UTC)


def test_target_field_names_are_configurable() -> None:
    rules = SourceRules(target_field_names=frozenset({"ship by"}))
    event = schedule_of(issue_date_edit("Ship By", "2025-09-30T00:00:00+00:00"), rules)
    assert (event.fields, event.target) == ((ScheduleField.TARGET,), date(2025, 9, 30))


def test_cleared_date_field_sets_none() -> None:
    event = schedule_of(issue_date_edit("Target date", None))
    assert (event.fields, event.start, event.target) == ((ScheduleField.TARGET,), None, None)


def test_other_date_fields_are_ignored() -> None:
    result = ingest(github("projects_v2_item", issue_date_edit("Kick-off party")))
    assert result.events == ()
    assert result.ignored is not None


def test_date_on_a_draft_issue_is_ignored_because_no_item_can_use_it() -> None:
    result = ingest(github("projects_v2_item", fixture(DATE_EDIT)))
    assert result.events == ()
    assert "DraftIssue" in (result.ignored or "")
    assert project_date_change(fixture_json(DATE_EDIT), SourceRules()) == (
        NODE,
        "start",
        "2025-08-01",
    )


def test_issue_events_carry_the_node_id_schedules_are_resolved_by() -> None:
    (item, *_) = ingest(github("issues", fixture("github/issues.opened.json"))).events
    assert isinstance(item, ItemChangedV1)
    assert item.node_id == fixture_json("github/issues.opened.json")["issue"]["node_id"]  # type: ignore[index]
