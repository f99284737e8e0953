from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.ingest.domain import SOURCES, Delivery, Uninterpretable, VerificationFailed
from shared.events import (
    DependencyAddedV1,
    DependencyRemovedV1,
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
    fixture_json,
    hex_signature,
    ingest,
)

pytestmark = pytest.mark.unit

LINEAR = SOURCES["linear"]
SENT = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def linear(payload: dict[str, object], secret: str = SECRET, sent: datetime = SENT) -> Delivery:
    # Pre-2022 samples lack webhookTimestamp, which we require; give every sample one.
    body = as_body(payload | {"webhookTimestamp": int(sent.timestamp() * 1000)})
    headers = {"Linear-Delivery": "lin-1", "Linear-Signature": hex_signature(body, secret)}
    return delivery("linear", body, headers, received_at=SENT)


def test_created_issue_is_named_by_identifier() -> None:
    result = ingest(linear(fixture_json("linear/Issue.create.json")))
    (item,) = result.events
    assert isinstance(item, ItemChangedV1)
    assert (item.item_id, item.title, item.status, item.team) == (
        "linear:POR-5",
        "New issue again",
        ItemStatus.TODO,
        "POR",
    )
    assert (item.occurred_at, result.delivery_id) == (SENT, "lin-1")


def test_updated_issue_keeps_its_project_as_release() -> None:
    (item,) = ingest(linear(fixture_json("linear/Issue.update.json"))).events
    assert isinstance(item, ItemChangedV1)
    assert item.release_id == "linear:project/30c1f0c4-086a-4f38-bd9c-48c63e2be880"
    assert item.source_updated_at == datetime(2023, 7, 11, 13, 36, 45, 293000, tzinfo=UTC)


def test_old_shape_state_change_reads_assignee_and_due_date() -> None:
    payload = fixture_json("linear/Issue.update.state_change.json")
    payload["data"] = dict(payload["data"]) | {"dueDate": "2021-02-20"}  # type: ignore[call-overload]
    (item,) = ingest(linear(payload)).events
    assert isinstance(item, ItemChangedV1)
    assert (item.item_id, item.target) == ("linear:KOR-11", date(2021, 2, 20))
    assert item.owner == "80e102b0-xxxx-xxxx-xxxx-044bcfb4cd39"


def test_completed_issue_is_done() -> None:
    payload = fixture_json("linear/Issue.create.json")
    data = dict(payload["data"])  # type: ignore[call-overload]
    data |= {"state": {"type": "completed"}, "completedAt": "2024-05-20T10:00:00.000Z"}
    (item,) = ingest(linear(payload | {"data": data})).events
    assert isinstance(item, ItemChangedV1)
    assert item.done_at == datetime(2024, 5, 20, 10, tzinfo=UTC)


def test_removed_issue() -> None:
    payload = fixture_json("linear/Issue.create.json") | {"action": "remove"}
    (removed,) = ingest(linear(payload)).events
    assert isinstance(removed, ItemRemovedV1)
    assert removed.item_id == "linear:POR-5"


def test_project_is_a_release_with_target_date() -> None:
    (release,) = ingest(linear(fixture_json("linear/Project.update.json"))).events
    assert isinstance(release, ReleaseChangedV1)
    assert release.release_id == "linear:project/5ad6280f-xxxx-xxxx-xxxx-b869cfa62b33"
    assert (release.due, release.state, release.name) == (
        date(2021, 2, 11),
        ReleaseState.OPEN,
        "rename project",
    )


def test_project_milestone_is_a_release() -> None:
    data = {
        "id": "pm-1",
        "name": "Beta",
        "targetDate": "2024-09-01",
        "updatedAt": "2024-06-01T00:00:00Z",
    }
    payload: dict[str, object] = {"type": "ProjectMilestone", "action": "create", "data": data}
    (release,) = ingest(linear(payload)).events
    assert isinstance(release, ReleaseChangedV1)
    assert (release.release_id, release.due) == ("linear:milestone/pm-1", date(2024, 9, 1))


def _relation(action: str, kind: str = "blocks") -> dict[str, object]:
    # No captured IssueRelation delivery exists; shape per Linear's GraphQL IssueRelation.
    data = {
        "id": "rel-1",
        "type": kind,
        "issue": {"id": "u1", "identifier": "ENG-1"},
        "relatedIssue": {"id": "u2", "identifier": "ENG-2"},
        "updatedAt": "2024-06-01T11:59:00Z",
    }
    return {"type": "IssueRelation", "action": action, "data": data}


def test_blocking_relation_adds_and_removes_dependency() -> None:
    (added,) = ingest(linear(_relation("create"))).events
    assert isinstance(added, DependencyAddedV1)
    assert (added.blocker_id, added.blocked_id) == ("linear:ENG-1", "linear:ENG-2")
    (removed,) = ingest(linear(_relation("remove"))).events
    assert isinstance(removed, DependencyRemovedV1)
    retyped = _relation("update", "related") | {"updatedFrom": {"type": "blocks"}}
    assert isinstance(ingest(linear(retyped)).events[0], DependencyRemovedV1)


def test_related_relation_is_ignored_and_unnamed_issue_is_uninterpretable() -> None:
    assert ingest(linear(_relation("create", "related"))).ignored is not None
    payload = _relation("create")
    payload["data"] = dict(payload["data"]) | {"issue": {"id": "u1"}}  # type: ignore[call-overload]
    with pytest.raises(Uninterpretable, match="identifier"):
        ingest(linear(payload))


def test_project_update_post_is_ignored() -> None:
    result = ingest(linear(fixture_json("linear/ProjectUpdate.update.json")))
    assert result.ignored == "linear ProjectUpdate update not handled"


def test_stale_and_future_timestamps_are_rejected() -> None:
    item = linear(fixture_json("linear/Issue.create.json"))
    LINEAR.verify(item, [SECRET], SENT + timedelta(seconds=59))
    with pytest.raises(VerificationFailed, match="stale"):
        LINEAR.verify(item, [SECRET], SENT + timedelta(seconds=61))
    with pytest.raises(VerificationFailed, match="stale"):
        LINEAR.verify(item, [SECRET], SENT - timedelta(seconds=61))


def test_missing_timestamp_is_rejected() -> None:
    body = as_body(fixture_json("linear/Issue.update.state_change.json"))
    item = delivery("linear", body, {"Linear-Signature": hex_signature(body)})
    with pytest.raises(VerificationFailed, match="webhookTimestamp"):
        LINEAR.verify(item, [SECRET], SENT)


def test_signature_checks() -> None:
    payload = fixture_json("linear/Issue.create.json")
    LINEAR.verify(linear(payload, OTHER_SECRET), [SECRET, OTHER_SECRET], SENT)
    with pytest.raises(VerificationFailed, match="bad signature"):
        LINEAR.verify(linear(payload, "nope"), [SECRET], SENT)
    with pytest.raises(VerificationFailed, match="missing header"):
        LINEAR.verify(delivery("linear", b"{}", {}), [SECRET], SENT)
