"""The demo's inbox: it takes what the notifier signs, refuses what it did not, and says it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime

import httpx
import pytest

from services.cli.demo_inbox import PATH, DemoInbox, demo_secret, described, verdict
from services.notifier.domain.webhook_message import notification_for
from shared.events import RiskChangedV1, RiskLevel, RiskReason, Source
from shared.standard_webhooks import signed_headers

CHANGE = RiskChangedV1(
    event_id="risk-1",
    occurred_at=datetime(2026, 12, 6, 9, 0, tzinfo=UTC),
    source=Source.SLIPSTREAM,
    item_id="github:acme/web#7",
    level=RiskLevel.OFF_TRACK,
    previous_level=RiskLevel.ON_TRACK,
    score=71.5,
    slip_days=16,
    target=date(2026, 12, 20),
    forecast=date(2027, 1, 5),
    reasons=(
        RiskReason(
            code="blocker_late",
            message="github:acme/api#42 finishes after the target",
            blocker_id="github:acme/api#42",
        ),
    ),
    chain=("github:acme/web#7", "github:acme/api#42"),
    title="Checkout redesign",
    titles={"github:acme/api#42": "Payments API v2"},
    url="https://github.com/acme/web/issues/7",
)


@pytest.fixture
def inbox() -> Iterator[tuple[DemoInbox, list[str]]]:
    said: list[str] = []
    with DemoInbox(demo_secret(), said.append) as running:
        yield running, said


def delivered(inbox: DemoInbox, secret: str, stamp: int | None = None) -> httpx.Response:
    """The notifier's own body for ``CHANGE``, signed as its webhook channel signs it."""
    notification = notification_for(CHANGE, inbox.url)
    stamp = int(time.time()) if stamp is None else stamp
    headers = signed_headers(secret, notification.notification_id, stamp, notification.body)
    return httpx.post(inbox.url, content=notification.body, headers=headers)


def test_a_genuine_delivery_is_printed_in_the_digest_words(
    inbox: tuple[DemoInbox, list[str]],
) -> None:
    running, said = inbox
    assert delivered(running, running.secret).status_code == 204
    assert running.wait_for(1, timeout=5)
    text = "\n".join(said)
    assert "signature verified" in text
    assert "Checkout redesign is off track (github:acme/web#7)" in text
    assert "16 days late" in text
    assert "why: Payments API v2 (github:acme/api#42) finishes after the target" in text
    chain = "Checkout redesign (github:acme/web#7) -> Payments API v2 (github:acme/api#42)"
    assert f"critical chain: {chain}" in text


def test_a_delivery_signed_with_another_secret_is_refused_and_not_counted(
    inbox: tuple[DemoInbox, list[str]],
) -> None:
    running, said = inbox
    assert delivered(running, demo_secret()).status_code == 401
    assert said == ["demo inbox refused a delivery: bad signature in webhook-signature"]
    assert not running.wait_for(1, timeout=0.1)


def test_a_stale_timestamp_is_refused(inbox: tuple[DemoInbox, list[str]]) -> None:
    running, said = inbox
    assert delivered(running, running.secret, stamp=int(time.time()) - 3600).status_code == 401
    assert len(said) == 1
    assert said[0].startswith("demo inbox refused a delivery: stale timestamp")


def test_unreadable_or_misaddressed_posts_get_clear_answers(
    inbox: tuple[DemoInbox, list[str]],
) -> None:
    running, said = inbox
    body = b"not json"
    headers = signed_headers(running.secret, "msg_1", int(time.time()), body)
    assert httpx.post(running.url, content=body, headers=headers).status_code == 400
    assert said[0].startswith("demo inbox could not read a delivery")
    elsewhere = running.url.removesuffix(PATH) + "/other"
    assert httpx.post(elsewhere, content=b"{}").status_code == 404


def test_missing_headers_are_named() -> None:
    assert verdict("whsec_a2V5", {}, b"{}", datetime.now(UTC)) == "missing header webhook-id"


def test_other_message_types_are_named_not_misread() -> None:
    assert described({"type": "notify.digest", "data": {}}) == "a 'notify.digest' message"
    assert json.loads(notification_for(CHANGE, "x").body)["type"] == "risk.changed"
