from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from services.ingest.domain import (
    SOURCES,
    Delivery,
    SourceRules,
    Uninterpretable,
    VerificationFailed,
)
from shared.events import (
    DependencyAddedV1,
    DependencyRemovedV1,
    ItemChangedV1,
    ItemRemovedV1,
    ItemStatus,
    ReleaseChangedV1,
    derive_event_id,
)
from tests.unit.ingest.support import (
    OTHER_SECRET,
    SECRET,
    as_body,
    delivery,
    fixture,
    fixture_json,
    hex_signature,
    ingest,
)

pytestmark = pytest.mark.unit

GITHUB = SOURCES["github"]


def github(event: str, body: bytes, secret: str = SECRET, guid: str = "guid-1") -> Delivery:
    return delivery(
        "github",
        body,
        {
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": guid,
            "X-Hub-Signature-256": "sha256=" + hex_signature(body, secret),
        },
    )


def test_published_vector_verifies() -> None:
    vector = fixture_json("signature-vectors.json")["vectors"][0]  # type: ignore[index]
    item = delivery(
        "github",
        vector["payload"].encode(),
        {"X-Hub-Signature-256": vector["expected_header_value"]},
    )
    GITHUB.verify(item, [vector["secret"]], item.received_at)


def test_bad_signature_is_rejected() -> None:
    item = github("issues", fixture("github/issues.opened.json"), secret="wrong")
    with pytest.raises(VerificationFailed, match="bad signature"):
        GITHUB.verify(item, [SECRET], item.received_at)


def test_missing_signature_header_is_rejected() -> None:
    item = delivery("github", b"{}", {"X-GitHub-Event": "issues"})
    with pytest.raises(VerificationFailed, match="missing header"):
        GITHUB.verify(item, [SECRET], item.received_at)


def test_sha1_prefix_is_not_accepted_in_place_of_sha256() -> None:
    body = b"{}"
    item = delivery("github", body, {"X-Hub-Signature-256": "sha1=" + hex_signature(body)})
    with pytest.raises(VerificationFailed):
        GITHUB.verify(item, [SECRET], item.received_at)


def test_either_of_two_rotated_secrets_verifies() -> None:
    item = github("issues", fixture("github/issues.opened.json"), secret=OTHER_SECRET)
    GITHUB.verify(item, [SECRET, OTHER_SECRET], item.received_at)


def test_opened_issue_becomes_item_and_its_milestone_a_release() -> None:
    result = ingest(github("issues", fixture("github/issues.opened.json")))
    item, release = result.events
    assert isinstance(item, ItemChangedV1)
    assert item.item_id == "github:Codertocat/Hello-World#1"
    assert (item.status, item.team, item.owner) == (ItemStatus.TODO, "Hello-World", "Codertocat")
    assert item.target == date(2019, 5, 23)
    assert item.release_id == "github:Codertocat/Hello-World/milestone/1"
    assert item.source_updated_at == datetime(2019, 5, 15, 15, 20, 18, tzinfo=UTC)
    assert item.labels == ("bug",)
    assert isinstance(release, ReleaseChangedV1)
    assert (release.release_id, release.due) == (item.release_id, date(2019, 5, 23))
    assert result.delivery_id == "guid-1"


@pytest.mark.parametrize(
    "name",
    ["assigned", "edited", "labeled", "milestoned", "reopened", "demilestoned"],
)
def test_every_issue_sample_yields_an_item(name: str) -> None:
    result = ingest(github("issues", fixture(f"github/issues.{name}.json")))
    assert isinstance(result.events[0], ItemChangedV1)
    assert result.ignored is None


def test_demilestoned_issue_loses_release_and_target() -> None:
    (item,) = ingest(github("issues", fixture("github/issues.demilestoned.json"))).events
    assert isinstance(item, ItemChangedV1)
    assert (item.release_id, item.target) == (None, None)


def test_closed_issue_is_done_when_it_was_closed() -> None:
    (item,) = ingest(github("issues", fixture("github/issues.closed.json"))).events
    assert isinstance(item, ItemChangedV1)
    assert item.status is ItemStatus.DONE
    assert item.done_at == datetime(2018, 11, 18, 18, 42, 8, tzinfo=UTC)


def test_in_progress_label_and_team_label_follow_rules() -> None:
    payload = fixture_json("github/issues.opened.json")
    payload["issue"]["labels"] = [{"name": "Doing"}, {"name": "team:Payments"}]  # type: ignore[index]
    item = ingest(github("issues", as_body(payload))).events[0]
    assert isinstance(item, ItemChangedV1)
    assert (item.status, item.team) == (ItemStatus.IN_PROGRESS, "Payments")


def test_assignee_rule_and_repo_team_map_are_configurable() -> None:
    rules = SourceRules(
        assignee_means_in_progress=True, github_teams={"Codertocat/Hello-World": "Core"}
    )
    item = ingest(github("issues", fixture("github/issues.assigned.json")), rules).events[0]
    assert isinstance(item, ItemChangedV1)
    assert (item.status, item.team) == (ItemStatus.IN_PROGRESS, "Core")


def test_deleted_issue_is_removed() -> None:
    payload = fixture_json("github/issues.opened.json") | {"action": "deleted"}
    (removed,) = ingest(github("issues", as_body(payload))).events
    assert isinstance(removed, ItemRemovedV1)
    assert removed.item_id == "github:Codertocat/Hello-World#1"


def test_transferred_issue_is_removed_and_reappears_in_new_repo() -> None:
    payload = fixture_json("github/issues.opened.json") | {"action": "transferred"}
    new_issue = dict(payload["issue"]) | {"number": 7}  # type: ignore[call-overload]
    payload["changes"] = {"new_issue": new_issue, "new_repository": {"full_name": "acme/new"}}
    removed, moved = ingest(github("issues", as_body(payload))).events
    assert isinstance(removed, ItemRemovedV1)
    assert isinstance(moved, ItemChangedV1)
    assert moved.item_id == "github:acme/new#7"


def test_event_ids_repeat_for_a_retried_delivery() -> None:
    first = ingest(github("issues", fixture("github/issues.opened.json"), guid="g-7"))
    again = ingest(github("issues", fixture("github/issues.opened.json"), guid="g-7"))
    assert [e.event_id for e in first.events] == [e.event_id for e in again.events]
    assert first.events[0].event_id == derive_event_id("github", "g-7", "0")


def test_blocked_by_added_links_blocker_to_blocked() -> None:
    body = fixture("github/issue_dependencies.blocked_by_added.json")
    (edge,) = ingest(github("issue_dependencies", body)).events
    assert isinstance(edge, DependencyAddedV1)
    assert (edge.blocker_id, edge.blocked_id) == (
        "github:octocat/Hello-World#2",
        "github:octocat/Hello-World#1",
    )


def test_blocker_in_another_repository_is_named_by_its_repo() -> None:
    payload = fixture_json("github/issue_dependencies.blocked_by_added.json")
    payload |= {"action": "blocked_by_removed", "blocking_issue_repo": {"full_name": "acme/lib"}}
    (edge,) = ingest(github("issue_dependencies", as_body(payload))).events
    assert isinstance(edge, DependencyRemovedV1)
    assert edge.blocker_id == "github:acme/lib#2"


def test_blocker_repo_is_derived_from_its_url_when_not_named() -> None:
    payload = fixture_json("github/issue_dependencies.blocked_by_added.json")
    payload["blocking_issue"]["repository_url"] = "https://api.github.com/repos/acme/x"  # type: ignore[index]
    (edge,) = ingest(github("issue_dependencies", as_body(payload))).events
    assert isinstance(edge, DependencyAddedV1)
    assert edge.blocker_id == "github:acme/x#2"


def test_ping_is_ignored_with_reason() -> None:
    result = ingest(github("ping", fixture("github/ping.json")))
    assert result.events == ()
    assert result.ignored is not None
    assert "ping" in result.ignored


def test_unknown_event_and_action_are_ignored_with_reason() -> None:
    star = ingest(github("star", b'{"action": "created"}'))
    assert star.ignored == "github event 'star' action 'created' not handled"
    payload = fixture_json("github/issues.opened.json") | {"action": "pinned"}
    pinned = ingest(github("issues", as_body(payload)))
    assert pinned.events == ()
    assert pinned.ignored is not None
    assert "pinned" in pinned.ignored


def test_issue_without_number_is_uninterpretable() -> None:
    payload = fixture_json("github/issues.opened.json")
    del payload["issue"]["number"]  # type: ignore[attr-defined]
    with pytest.raises(Uninterpretable, match="number"):
        ingest(github("issues", as_body(payload)))


def test_missing_event_header_is_uninterpretable() -> None:
    body = b'{"action": "opened"}'
    item = delivery("github", body, {"X-Hub-Signature-256": "sha256=" + hex_signature(body)})
    with pytest.raises(Uninterpretable):
        ingest(item)


def test_delivery_id_falls_back_to_body_digest() -> None:
    item = delivery("github", b"{}", {})
    assert GITHUB.delivery_id(item, {}).startswith("sha256:")


def test_json_round_trip_of_body_is_not_required_for_verification() -> None:
    pretty = json.dumps(fixture_json("github/ping.json"), indent=4).encode()
    GITHUB.verify(github("ping", pretty), [SECRET], datetime.now(UTC))
