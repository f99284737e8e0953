from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from services.ingest.domain import SOURCES, Delivery, Uninterpretable, VerificationFailed
from shared.events import FeedbackReceivedV1
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

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
STAMP = "2024-06-01T12:00:00Z"


def b64_hmac(secret: str, message: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


# --- Zendesk -------------------------------------------------------------------------------


def zendesk(body: bytes, *, legacy: bool = False, secret: str = SECRET) -> Delivery:
    message = body + STAMP.encode() if legacy else STAMP.encode() + body
    headers = {
        "X-Zendesk-Webhook-Signature": b64_hmac(secret, message),
        "X-Zendesk-Webhook-Signature-Timestamp": STAMP,
    }
    return delivery("zendesk", body, headers, received_at=NOW)


TICKET_EVENT = {
    "type": "zen:event-type:ticket.created",
    "id": "evt-1",
    "time": "2024-06-01T11:59:00Z",
    "detail": {
        "id": "35436",
        "subject": "Export fails",
        "description": "<p>CSV export times out</p>",
        "requester_id": "200",
        "updated_at": "2024-06-01T11:59:00Z",
    },
}


def test_zendesk_published_legacy_vector_verifies() -> None:
    vector = fixture_json("signature-vectors.json")["vectors"][2]  # type: ignore[index]
    headers = {k: v for k, v in vector["headers"].items()}
    item = delivery("zendesk", vector["body"].encode(), headers)
    SOURCES["zendesk"].verify(item, [vector["secret"]], datetime(2021, 7, 25, 10, 1, tzinfo=UTC))


@pytest.mark.parametrize("legacy", [False, True])
def test_zendesk_ticket_event_in_either_documented_order(legacy: bool) -> None:
    result = ingest(zendesk(as_body(TICKET_EVENT), legacy=legacy))
    (feedback,) = result.events
    assert isinstance(feedback, FeedbackReceivedV1)
    assert (feedback.feedback_id, feedback.customer_id) == (
        "zendesk:ticket/35436",
        "zendesk:user/200",
    )
    assert feedback.text == "Export fails — CSV export times out"
    assert result.delivery_id == "evt-1"


def test_zendesk_trigger_template_carries_requester_email_and_items() -> None:
    body = {
        "ticket": {
            "id": 7,
            "subject": "SSO",
            "requester": {"email": "Ana@Example.com", "name": "Ana"},
        },
        "item_ids": ["jira:PAY-12"],
    }
    (feedback,) = ingest(zendesk(as_body(body))).events
    assert isinstance(feedback, FeedbackReceivedV1)
    assert (feedback.customer_id, feedback.item_ids) == ("email:ana@example.com", ("jira:PAY-12",))


def test_zendesk_stale_timestamp_and_free_form_body() -> None:
    item = zendesk(as_body(TICKET_EVENT))
    with pytest.raises(VerificationFailed, match="stale"):
        SOURCES["zendesk"].verify(item, [SECRET], NOW + timedelta(minutes=6))
    with pytest.raises(Uninterpretable):
        ingest(zendesk(b'{"message": "hello"}'))
    assert ingest(zendesk(b'{"type": "zen:event-type:user.created"}')).ignored is not None


# --- Intercom ------------------------------------------------------------------------------


def intercom(body: bytes, secret: str = SECRET) -> Delivery:
    headers = {"X-Hub-Signature": "sha1=" + hex_signature(body, secret, "sha1")}
    return delivery("intercom", body, headers)


def test_intercom_admin_reply_names_customer_and_part() -> None:
    result = ingest(intercom(fixture("intercom/conversation.admin.replied.json")))
    (feedback,) = result.events
    assert isinstance(feedback, FeedbackReceivedV1)
    assert feedback.feedback_id == "intercom:conversation/137324500000000/part/6073780765"
    assert (feedback.customer_id, feedback.kind, feedback.text) == (
        "email:bob.dylan@rei.com",
        "admin_reply",
        "hi Bob",
    )
    assert result.delivery_id == "notif_e94f2e3a-95e5-4419-af52-ad0ee1cc7de4"


@pytest.mark.parametrize(
    ("topic", "kind"),
    [("conversation.user.created", "conversation"), ("conversation.user.replied", "reply")],
)
def test_intercom_user_topics(topic: str, kind: str) -> None:
    # No real user.* capture exists; the admin.replied conversation stands in for one.
    payload = fixture_json("intercom/conversation.admin.replied.json") | {"topic": topic}
    (feedback,) = ingest(intercom(as_body(payload))).events
    assert isinstance(feedback, FeedbackReceivedV1)
    assert feedback.kind == kind


def test_intercom_signature_rotation_and_unknown_topic() -> None:
    body = fixture("intercom/conversation.admin.replied.json")
    SOURCES["intercom"].verify(intercom(body, OTHER_SECRET), [SECRET, OTHER_SECRET], NOW)
    with pytest.raises(VerificationFailed):
        SOURCES["intercom"].verify(intercom(body, "nope"), [SECRET], NOW)
    assert ingest(intercom(b'{"topic": "contact.created"}')).ignored is not None


# --- Canny ---------------------------------------------------------------------------------


def canny(body: bytes, secret: str = SECRET, sent: datetime = NOW) -> Delivery:
    nonce = "n-123"
    headers = {
        "canny-nonce": nonce,
        "canny-signature": b64_hmac(secret, nonce.encode()),
        "canny-timestamp": str(int(sent.timestamp() * 1000)),
    }
    return delivery("canny", body, headers, received_at=NOW)


def test_canny_post_created_is_feedback_from_its_author() -> None:
    (feedback,) = ingest(canny(fixture("canny/post.created.json"))).events
    assert isinstance(feedback, FeedbackReceivedV1)
    assert (feedback.feedback_id, feedback.customer_id, feedback.kind) == (
        "canny:post/62e26a7e1d4ea13c124337bd",
        "email:test@rudderstack.com",
        "post",
    )


def test_canny_linked_jira_issues_become_item_ids() -> None:
    payload = fixture_json("canny/post.status_changed.json") | {"type": "post.jira_issue_linked"}
    payload["object"]["jira"] = {"linkedIssues": [{"key": "PAY-12"}, "OPS-3"]}  # type: ignore[index]
    (feedback,) = ingest(canny(as_body(payload))).events
    assert isinstance(feedback, FeedbackReceivedV1)
    assert feedback.item_ids == ("jira:PAY-12", "jira:OPS-3")
    (plain_change,) = ingest(canny(fixture("canny/post.status_changed.json"))).events
    assert isinstance(plain_change, FeedbackReceivedV1)
    assert plain_change.source_updated_at == datetime(2022, 7, 26, 18, 7, 3, 143000, tzinfo=UTC)


def test_canny_vote_created_and_deleted() -> None:
    (vote,) = ingest(canny(fixture("canny/vote.created.json"))).events
    assert isinstance(vote, FeedbackReceivedV1)
    assert (vote.kind, vote.retracted, vote.text) == (
        "vote",
        False,
        "Images testing — Array of images",
    )
    payload = fixture_json("canny/vote.created.json") | {"type": "vote.deleted"}
    (unvote,) = ingest(canny(as_body(payload))).events
    assert isinstance(unvote, FeedbackReceivedV1)
    assert unvote.retracted


def test_canny_signature_and_timestamp_checks() -> None:
    body = fixture("canny/post.created.json")
    SOURCES["canny"].verify(canny(body, OTHER_SECRET), [SECRET, OTHER_SECRET], NOW)
    with pytest.raises(VerificationFailed, match="bad signature"):
        SOURCES["canny"].verify(canny(body, "nope"), [SECRET], NOW)
    with pytest.raises(VerificationFailed, match="stale"):
        SOURCES["canny"].verify(canny(body, sent=NOW - timedelta(hours=1)), [SECRET], NOW)
    assert ingest(canny(b'{"type": "comment.created", "object": {}}')).ignored is not None


def test_zendesk_ticket_pointing_at_work_by_url_links_to_it() -> None:
    detail = dict(TICKET_EVENT["detail"])  # type: ignore[arg-type]
    detail["description"] = (
        '<p>Related: <a href="https://northwind.atlassian.net/browse/PAY-12">the bug</a></p>'
    )
    (feedback,) = ingest(zendesk(as_body(TICKET_EVENT | {"detail": detail}))).events
    assert isinstance(feedback, FeedbackReceivedV1)
    assert feedback.item_ids == ("jira:PAY-12",)
    assert feedback.text == "Export fails — Related: the bug"  # the href was read raw


def test_intercom_message_linking_a_linear_issue_links_to_it() -> None:
    payload = fixture_json("intercom/conversation.admin.replied.json")
    raw = as_body(payload).replace(
        b"<p>hi Bob</p>",
        b'<p>tracked in <a href=\\"https://linear.app/nw/issue/ENG-7/keys\\">ENG-7</a></p>',
    )
    (feedback,) = ingest(intercom(raw)).events
    assert isinstance(feedback, FeedbackReceivedV1)
    assert feedback.item_ids == ("linear:ENG-7",)


def test_canny_post_details_naming_work_by_url_link_to_it_after_the_tools_own() -> None:
    payload = fixture_json("canny/post.created.json")
    post = payload["object"]  # type: ignore[index]
    post["details"] = "Same as https://linear.app/nw/issue/ENG-7/keys and PAY-12."  # type: ignore[index]
    post["jira"] = {"linkedIssues": [{"key": "PAY-12"}]}  # type: ignore[index]
    (feedback,) = ingest(canny(as_body(payload))).events
    assert isinstance(feedback, FeedbackReceivedV1)
    assert feedback.item_ids == ("jira:PAY-12", "linear:ENG-7")


def test_zendesk_ticket_carries_priority_tags_and_how_each_item_was_linked() -> None:
    body = {
        "ticket": {
            "id": 8,
            "subject": "Export broken, see WEB-3",
            "priority": "urgent",
            "tags": "export  VIP",
            "requester": {"email": "ana@example.com"},
        },
        "item_ids": ["jira:PAY-12"],
        "linked_issues": "https://acme.atlassian.net/browse/OPS-4, PAY-12",
    }
    (feedback,) = ingest(zendesk(as_body(body))).events
    assert isinstance(feedback, FeedbackReceivedV1)
    assert feedback.item_ids == ("jira:PAY-12", "jira:OPS-4", "jira:WEB-3")
    assert feedback.linked_by == {
        "jira:PAY-12": "explicit", "jira:OPS-4": "explicit", "jira:WEB-3": "text"
    }  # fmt: skip
    assert (feedback.priority, feedback.tags) == ("urgent", ("export", "vip"))


def test_canny_says_which_links_it_named_and_which_its_text_did() -> None:
    payload = fixture_json("canny/post.created.json")
    post = payload["object"]  # type: ignore[index]
    post["details"] = "Also ENG-7 and PAY-12."  # type: ignore[index]
    post["jira"] = {"linkedIssues": [{"key": "PAY-12"}]}  # type: ignore[index]
    (feedback,) = ingest(canny(as_body(payload))).events
    assert isinstance(feedback, FeedbackReceivedV1)
    assert feedback.linked_by == {"jira:PAY-12": "explicit", "jira:ENG-7": "text"}
