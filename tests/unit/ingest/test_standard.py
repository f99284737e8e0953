from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.ingest.domain import (
    SOURCES,
    Delivery,
    Normalised,
    Uninterpretable,
    VerificationFailed,
)
from services.ingest.domain.standard import sign
from shared.events import DependencyAddedV1, FeedbackReceivedV1, ItemChangedV1, ItemStatus
from tests.unit.ingest.support import as_body, delivery, fixture_json
from tests.unit.ingest.support import ingest as ingest_with

pytestmark = pytest.mark.unit

STANDARD = SOURCES["standard"]
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def ingest(item: Delivery) -> Normalised:
    return ingest_with(item, secret=SECRET)


DECOY = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="


def standard(
    body: bytes, secret: str = SECRET, sent: datetime = NOW, msg: str = "msg_1"
) -> Delivery:
    stamp = str(int(sent.timestamp()))
    headers = {
        "webhook-id": msg,
        "webhook-timestamp": stamp,
        "webhook-signature": f"{DECOY} v1,{sign(secret, msg, stamp, body)}",
    }
    return delivery("standard", body, headers, received_at=NOW)


def vector_delivery() -> tuple[Delivery, datetime]:
    vector = fixture_json("signature-vectors.json")["vectors"][1]  # type: ignore[index]
    item = delivery("standard", vector["payload"].encode(), vector["headers"])
    return item, datetime.fromtimestamp(vector["timestamp"], tz=UTC)


def test_published_vector_verifies_even_among_decoys() -> None:
    item, sent = vector_delivery()
    headers = dict(item.headers) | {
        "webhook-signature": f"{DECOY} v2,abc {item.headers['webhook-signature']}"
    }
    STANDARD.verify(Delivery("standard", headers, item.body, sent), [SECRET], sent)


def test_published_vector_is_stale_ten_minutes_later() -> None:
    item, sent = vector_delivery()
    with pytest.raises(VerificationFailed, match="stale"):
        STANDARD.verify(item, [SECRET], sent + timedelta(minutes=10))


def test_secret_without_prefix_and_rotation() -> None:
    body = b'{"type": "x"}'
    STANDARD.verify(standard(body), ["whsec_b3RoZXI=", SECRET.removeprefix("whsec_")], NOW)
    with pytest.raises(VerificationFailed, match="bad signature"):
        STANDARD.verify(standard(body, "whsec_b3RoZXI="), [SECRET], NOW)


def test_only_decoys_fail() -> None:
    item = delivery(
        "standard", b"{}", {"webhook-id": "m", "webhook-timestamp": "1", "webhook-signature": DECOY}
    )
    with pytest.raises(VerificationFailed):
        STANDARD.verify(item, [SECRET], NOW)


def test_canonical_item_changed_body() -> None:
    body = {
        "type": "item.changed",
        "timestamp": "2024-06-01T11:59:30Z",
        "data": {
            "item_id": "acme:TASK-1",
            "title": "Ship it",
            "status": "in_progress",
            "source_updated_at": "2024-06-01T11:59:00Z",
            "target": "2024-07-01",
        },
    }
    result = ingest(standard(as_body(body), msg="msg_77"))
    (item,) = result.events
    assert isinstance(item, ItemChangedV1)
    assert (item.item_id, item.status, item.target) == (
        "acme:TASK-1",
        ItemStatus.IN_PROGRESS,
        date(2024, 7, 1),
    )
    assert (item.source, item.delivery_id) == ("standard", "msg_77")


def test_canonical_dependency_body_ignores_sent_envelope() -> None:
    data = {
        "blocker_id": "jira:PAY-1",
        "blocked_id": "acme:T-2",
        "source_updated_at": "2024-06-01T11:00:00Z",
        "event_id": "forged",
    }
    (edge,) = ingest(standard(as_body({"type": "dependency.added", "data": data}))).events
    assert isinstance(edge, DependencyAddedV1)
    assert edge.event_id != "forged"


def test_invalid_data_is_uninterpretable_and_unknown_type_ignored() -> None:
    with pytest.raises(Uninterpretable, match="status"):
        ingest(
            standard(
                as_body(
                    {
                        "type": "item.changed",
                        "data": {
                            "item_id": "a",
                            "title": "t",
                            "status": "??",
                            "source_updated_at": "2024-06-01T11:00:00Z",
                        },
                    }
                )
            )
        )
    assert ingest(standard(b'{"type": "risk.changed", "data": {}}')).ignored is not None


def test_feedback_text_pointing_at_work_adds_the_items_it_names() -> None:
    data = {
        "feedback_id": "acme:nps/9",
        "customer_id": "acme:customer/4",
        "source_updated_at": "2024-06-01T11:00:00Z",
        "text": "Still waiting for https://github.com/acme/api/issues/12 (and PAY-3)",
        "item_ids": ["jira:PAY-3"],
    }
    (feedback,) = ingest(standard(as_body({"type": "feedback.received", "data": data}))).events
    assert isinstance(feedback, FeedbackReceivedV1)
    assert feedback.item_ids == ("jira:PAY-3", "github:acme/api#12")
