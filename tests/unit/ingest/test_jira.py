from __future__ import annotations

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
    EdgeOrigin,
    ItemChangedV1,
    ItemRemovedV1,
    ItemStatus,
    ReleaseChangedV1,
    ReleaseState,
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

JIRA = SOURCES["jira"]


def jira(body: bytes, secret: str = SECRET) -> Delivery:
    return delivery(
        "jira",
        body,
        {
            "X-Atlassian-Webhook-Identifier": "jira-delivery-1",
            "X-Atlassian-Webhook-Flow": "Primary",
            "X-Hub-Signature": "sha256=" + hex_signature(body, secret),
        },
    )


def test_created_issue_becomes_todo_item_in_its_component_team() -> None:
    result = ingest(jira(fixture("jira/jira_issue_created.json")))
    (item,) = result.events
    assert isinstance(item, ItemChangedV1)
    assert (item.item_id, item.title, item.status) == ("jira:TES-41", "Unit test summary", "todo")
    assert item.team == "COMP-1"
    assert item.occurred_at == datetime.fromtimestamp(1550286113.023, tz=UTC)
    assert item.source_updated_at == datetime(2019, 2, 16, 3, 1, 52, 971000, tzinfo=UTC)
    assert item.url == "https://some-instance-test.atlassian.net/browse/TES-41"
    assert result.delivery_id == "jira-delivery-1"


def test_resolved_issue_is_done_at_resolution_date() -> None:
    (item,) = ingest(jira(fixture("jira/jira_issue_updated.status_resolved.json"))).events
    assert isinstance(item, ItemChangedV1)
    assert item.status is ItemStatus.DONE
    assert item.done_at == datetime(2019, 2, 16, 3, 15, 40, 470000, tzinfo=UTC)


def test_fix_version_change_sets_release_from_changelog_when_snapshot_is_empty() -> None:
    (item,) = ingest(jira(fixture("jira/jira_issue_updated.fix_version.json"))).events
    assert isinstance(item, ItemChangedV1)
    assert item.release_id == "jira:version/10001"


def test_cloud_issue_update_reads_assignee_account_and_project_team() -> None:
    (item,) = ingest(jira(fixture("jira/jira_issue_updated.description.json"))).events
    assert isinstance(item, ItemChangedV1)
    assert item.owner == "712020:f1ad7cfd-7f82-4dc0-85e4-8bc47bcc08e4"
    assert (item.team, item.item_id) == ("KAN", "jira:KAN-22")


def test_dates_team_field_and_status_names_follow_rules() -> None:
    payload = fixture_json("jira/jira_issue_created.json")
    fields = payload["issue"]["fields"]  # type: ignore[index]
    fields |= {"duedate": "2024-07-01", "customfield_10015": "2024-06-10"}
    fields |= {"customfield_10001": {"id": "t1", "name": "Payments"}}
    fields["fixVersions"] = [
        {"id": "10007", "name": "v7", "released": False, "releaseDate": "2024-07-15"}
    ]
    rules = SourceRules(
        jira_team_field="customfield_10001", jira_statuses={"to do": ItemStatus.IN_PROGRESS}
    )
    item, release = ingest(jira(as_body(payload)), rules).events
    assert isinstance(item, ItemChangedV1)
    assert (item.target, item.start) == (date(2024, 7, 1), date(2024, 6, 10))
    assert (item.team, item.status, item.release_id) == (
        "Payments",
        "in_progress",
        "jira:version/10007",
    )
    assert isinstance(release, ReleaseChangedV1)
    assert (release.name, release.due, release.state) == (
        "v7",
        date(2024, 7, 15),
        ReleaseState.OPEN,
    )


def test_link_changelog_adds_and_removes_blocking_edges() -> None:
    payload = fixture_json("jira/jira_issue_updated.description.json")
    payload["changelog"] = {
        "items": [
            {
                "field": "Link",
                "from": None,
                "to": "PAY-3",
                "toString": "This issue is blocked by PAY-3",
            },
            {"field": "Link", "from": "OPS-9", "fromString": "This issue blocks OPS-9", "to": None},
            {"field": "Link", "to": "X-1", "toString": "This issue relates to X-1"},
        ]
    }
    _, added, removed = ingest(jira(as_body(payload))).events
    assert isinstance(added, DependencyAddedV1)
    assert (added.blocker_id, added.blocked_id) == ("jira:PAY-3", "jira:KAN-22")
    assert isinstance(removed, DependencyRemovedV1)
    assert (removed.blocker_id, removed.blocked_id) == ("jira:KAN-22", "jira:OPS-9")


def test_issue_link_snapshot_reasserts_blocking_edges() -> None:
    payload = fixture_json("jira/jira_issue_created.json")
    payload["issue"]["fields"]["issuelinks"] = [  # type: ignore[index]
        {"type": {"name": "Blocks"}, "inwardIssue": {"key": "PAY-1"}},
        {"type": {"name": "Relates"}, "outwardIssue": {"key": "PAY-2"}},
    ]
    _, edge = ingest(jira(as_body(payload))).events
    assert isinstance(edge, DependencyAddedV1)
    assert (edge.blocker_id, edge.blocked_id) == ("jira:PAY-1", "jira:TES-41")


def test_deleted_issue_is_removed() -> None:
    payload = fixture_json("jira/jira_issue_created.json") | {"webhookEvent": "jira:issue_deleted"}
    (removed,) = ingest(jira(as_body(payload))).events
    assert isinstance(removed, ItemRemovedV1)
    assert removed.item_id == "jira:TES-41"


def test_released_version_is_a_released_release() -> None:
    (release,) = ingest(jira(fixture("jira/jira_version_released.json"))).events
    assert isinstance(release, ReleaseChangedV1)
    assert (release.release_id, release.state, release.name) == (
        "jira:version/10000",
        "released",
        "1.0",
    )


@pytest.mark.parametrize(
    ("event", "state"),
    [
        ("jira:version_created", "open"),
        ("jira:version_updated", "open"),
        ("jira:version_deleted", "deleted"),
    ],
)
def test_version_lifecycle(event: str, state: str) -> None:
    payload = fixture_json("jira/jira_version_released.json") | {"webhookEvent": event}
    payload["version"] = dict(payload["version"]) | {"released": False}  # type: ignore[call-overload]
    (release,) = ingest(jira(as_body(payload))).events
    assert isinstance(release, ReleaseChangedV1)
    assert release.state == state


@pytest.mark.parametrize(
    ("name", "present"), [("issuelink_created", True), ("issuelink_deleted", False)]
)
def test_issuelink_events_make_and_remove_the_edge_by_numeric_id(name: str, present: bool) -> None:
    # The fixtures were logged with a string timestamp (see SOURCES.md); the receive time is used.
    (edge,) = ingest(jira(fixture(f"jira/{name}.json"))).events
    assert isinstance(edge, DependencyAddedV1 if present else DependencyRemovedV1)
    # The source issue is the outward side of "Blocks": it blocks the destination.
    assert (edge.blocker_id, edge.blocked_id) == ("jira-id:11442", "jira-id:11961")
    assert edge.origin is EdgeOrigin.JIRA_LINK


def test_issuelink_of_a_non_blocking_type_is_ignored_with_the_reason() -> None:
    payload = fixture_json("jira/issuelink_created.json")
    payload["issueLink"]["issueLinkType"]["name"] = "Relates"  # type: ignore[index]
    result = ingest(jira(as_body(payload)))
    assert (result.events, result.ignored) == (
        (),
        "jira issuelink_created: link type 'Relates' is not a blocking link",
    )


def test_issue_events_carry_the_numeric_id_that_link_events_use() -> None:
    item = ingest(jira(fixture("jira/jira_issue_created.json"))).events[0]
    assert isinstance(item, ItemChangedV1)
    assert item.node_id == "10040"


def test_description_urls_become_text_reference_edges_and_an_edit_drops_them() -> None:
    payload = fixture_json("jira/jira_issue_updated.description.json")
    issue = payload["issue"]  # type: ignore[index]
    issue["fields"]["description"] = (  # type: ignore[index]
        "Blocked by [ledger|https://northwind.atlassian.net/browse/PAY-12] and "
        "https://github.com/acme/api/issues/4."
    )
    payload["changelog"] = {
        "items": [{"field": "description", "fromString": "depends on OPS-1", "toString": "x"}]
    }
    events = ingest(jira(as_body(payload))).events
    me = f"jira:{issue['key']}"  # type: ignore[index]
    edges = [
        (type(e).__name__, e.blocker_id, e.blocked_id, e.origin)
        for e in events
        if isinstance(e, DependencyAddedV1 | DependencyRemovedV1)
    ]
    text = EdgeOrigin.TEXT_REFERENCE
    assert edges == [
        ("DependencyAddedV1", "jira:PAY-12", me, text),
        ("DependencyAddedV1", "github:acme/api#4", me, text),
        ("DependencyRemovedV1", "jira:OPS-1", me, text),
    ]


def test_unknown_event_is_ignored_and_missing_event_is_uninterpretable() -> None:
    assert ingest(jira(b'{"webhookEvent": "comment_created"}')).ignored == (
        "jira event 'comment_created' not handled"
    )
    with pytest.raises(Uninterpretable):
        ingest(jira(b'{"issue": {}}'))


def test_signature_checks() -> None:
    body = fixture("jira/jira_issue_created.json")
    JIRA.verify(jira(body, OTHER_SECRET), [SECRET, OTHER_SECRET], datetime.now(UTC))
    with pytest.raises(VerificationFailed, match="bad signature"):
        JIRA.verify(jira(body, "nope"), [SECRET], datetime.now(UTC))
    with pytest.raises(VerificationFailed, match="missing header"):
        JIRA.verify(delivery("jira", body, {}), [SECRET], datetime.now(UTC))


def test_an_atlassian_document_description_is_read_for_its_text_and_links() -> None:
    payload = fixture_json("jira/jira_issue_created.json")
    link = {"type": "link", "attrs": {"href": "https://linear.app/nw/issue/ENG-7/keys"}}
    paragraph = [
        {"type": "text", "text": "Waiting on "},
        {"type": "text", "text": "the key rotation", "marks": [link]},
    ]
    heading = {"type": "heading", "content": [{"type": "text", "text": "Blocked by"}]}
    card = {"type": "inlineCard", "attrs": {"url": "https://github.com/acme/api/issues/4"}}
    item = {"type": "listItem", "content": [{"type": "paragraph", "content": [card]}]}
    blocks = [{"type": "paragraph", "content": paragraph}, heading]
    blocks.append({"type": "bulletList", "content": [item]})
    adf = {"type": "doc", "version": 1, "content": blocks}
    payload["issue"]["fields"]["description"] = adf  # type: ignore[index]
    payload["changelog"] = {"items": []}
    edges = [e for e in ingest(jira(as_body(payload))).events if isinstance(e, DependencyAddedV1)]
    assert [(e.blocker_id, e.origin) for e in edges] == [
        ("linear:ENG-7", "text-reference"),
        ("github:acme/api#4", "text-reference"),
    ]
