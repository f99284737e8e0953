from __future__ import annotations

from datetime import date

import pytest

from services.ingest.domain import Delivery, SourceRules
from services.ingest.domain.references import find_references
from shared.events import (
    DependencyAddedV1,
    DependencyRemovedV1,
    ItemChangedV1,
    ReleaseChangedV1,
    ReleaseState,
)
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


def github(event: str, body: bytes) -> Delivery:
    return delivery(
        "github",
        body,
        {
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": "guid-links",
            "X-Hub-Signature-256": "sha256=" + hex_signature(body, SECRET),
        },
    )


def test_closed_milestone_is_a_released_release_with_due_date() -> None:
    (release,) = ingest(github("milestone", fixture("github/milestone.closed.json"))).events
    assert isinstance(release, ReleaseChangedV1)
    assert release.release_id == "github:Codertocat/Hello-World/milestone/1"
    assert (release.state, release.due, release.name) == (
        ReleaseState.RELEASED,
        date(2019, 5, 23),
        "v1.0",
    )


def test_created_and_deleted_milestones() -> None:
    created = ingest(github("milestone", fixture("github/milestone.created.json"))).events[0]
    assert isinstance(created, ReleaseChangedV1)
    assert created.state is ReleaseState.OPEN
    payload = fixture_json("github/milestone.created.json") | {"action": "deleted"}
    deleted = ingest(github("milestone", as_body(payload))).events[0]
    assert isinstance(deleted, ReleaseChangedV1)
    assert deleted.state is ReleaseState.DELETED


def _sub_issue_payload(action: str) -> dict[str, object]:
    # No published sample exists; the shape follows the .NET SubIssuesEvent model.
    def issue(number: int, repo: str) -> dict[str, object]:
        return {"number": number, "repository_url": f"https://api.github.com/repos/{repo}"}

    return {
        "action": action,
        "parent_issue_id": 10,
        "parent_issue": issue(10, "acme/api"),
        "parent_issue_repo": {"full_name": "acme/api"},
        "sub_issue_id": 11,
        "sub_issue": issue(11, "acme/web"),
        "repository": {"full_name": "acme/api"},
    }


def test_sub_issue_blocks_its_parent() -> None:
    (edge,) = ingest(github("sub_issues", as_body(_sub_issue_payload("sub_issue_added")))).events
    assert isinstance(edge, DependencyAddedV1)
    assert (edge.blocker_id, edge.blocked_id) == ("github:acme/web#11", "github:acme/api#10")
    removed = ingest(github("sub_issues", as_body(_sub_issue_payload("sub_issue_removed"))))
    assert isinstance(removed.events[0], DependencyRemovedV1)


def test_issue_body_references_become_cross_tool_dependencies() -> None:
    payload = fixture_json("github/issues.opened.json")
    payload["issue"]["body"] = "Blocked by PAY-12 and linear:ENG-7; depends on #12"  # type: ignore[index]
    events = ingest(github("issues", as_body(payload))).events
    edges = [(e.blocker_id, e.blocked_id) for e in events if isinstance(e, DependencyAddedV1)]
    me = "github:Codertocat/Hello-World#1"
    assert edges == [
        ("jira:PAY-12", me),
        ("linear:ENG-7", me),
        ("github:Codertocat/Hello-World#12", me),
    ]


def test_edit_that_drops_a_reference_removes_the_dependency() -> None:
    payload = fixture_json("github/issues.edited.json")
    payload["issue"]["body"] = "nothing blocks this now"  # type: ignore[index]
    payload["changes"] = {"body": {"from": "blocked by PAY-12"}}
    events = ingest(github("issues", as_body(payload))).events
    (removed,) = [e for e in events if isinstance(e, DependencyRemovedV1)]
    assert removed.blocker_id == "jira:PAY-12"
    assert isinstance(events[0], ItemChangedV1)


def test_reference_rules_route_bare_keys_and_blocks_phrases() -> None:
    rules = SourceRules(linear_team_keys=frozenset({"ENG"}))
    refs = find_references("This blocks ENG-4. Requires utf-8", home_repo=None, rules=rules)
    assert [(r.other, r.other_is_blocked) for r in refs] == [("linear:ENG-4", True)]


@pytest.mark.parametrize("name", ["projects_v2_item.created", "projects_v2_item.edited"])
def test_project_items_without_date_change_are_ignored(name: str) -> None:
    result = ingest(github("projects_v2_item", fixture(f"github/{name}.json")))
    assert (result.events, result.ignored is not None) == ((), True)
