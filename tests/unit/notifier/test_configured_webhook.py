"""``NOTIFIER_WEBHOOK_URL`` as an implicit subscription: one outbox message per risk change."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from services.notifier.domain.webhook_message import (
    CONFIGURED_SECRET,
    implicit_message,
    notification_for,
)
from shared.events import RiskChangedV1, RiskLevel

pytestmark = pytest.mark.unit

URL = "https://hooks.example/risk"


def change(event_id: str = "risk-1") -> RiskChangedV1:
    return RiskChangedV1(
        event_id=event_id,
        occurred_at=datetime(2026, 11, 25, 12, 0, tzinfo=UTC),
        source="slipstream",
        item_id="github:acme/web#7",
        level=RiskLevel.AT_RISK,
    )


def test_a_redelivered_change_makes_the_same_message_and_another_change_a_new_one() -> None:
    assert implicit_message(change(), URL)["_id"] == implicit_message(change(), URL)["_id"]
    assert implicit_message(change(), URL)["_id"] != implicit_message(change("risk-2"), URL)["_id"]


def test_the_message_keeps_the_id_and_body_the_webhook_always_had() -> None:
    message = implicit_message(change(), URL)
    before = notification_for(change(), URL)
    assert message["_id"] == before.notification_id
    body = json.dumps(message["payload"], separators=(",", ":"), sort_keys=True).encode()
    assert body == before.body
    assert (message["channel"], message["signing"]) == ("webhook", CONFIGURED_SECRET)
    assert message["cause_event_ids"] == ["risk-1"]
