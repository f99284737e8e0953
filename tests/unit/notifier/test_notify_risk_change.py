"""Notifier use case with in-memory fakes of its ports."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.notifier.handlers import DeliveryFailed, notify_risk_change
from shared.events import NotificationFailedV1, NotificationSentV1, RiskChangedV1, RiskLevel
from shared.standard_webhooks import signature_matches
from tests.support.fakes import InMemoryNotificationLog, ScriptedSender

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SECRET = "whsec_dGVzdC1zZWNyZXQ="
URL = "https://hooks.example/risk"


def change(event_id: str = "risk-1") -> RiskChangedV1:
    return RiskChangedV1(
        event_id=event_id,
        occurred_at=NOW,
        source="slipstream",
        item_id="github:acme/web#7",
        level=RiskLevel.AT_RISK,
    )


async def test_delivered_notification_is_signed_per_standard_webhooks() -> None:
    sender = ScriptedSender(200)
    result = await notify_risk_change(change(), URL, SECRET, InMemoryNotificationLog(), sender, NOW)
    assert isinstance(result, NotificationSentV1)
    headers, body = sender.sent[0]
    assert signature_matches(
        SECRET,
        headers["webhook-id"],
        int(headers["webhook-timestamp"]),
        body,
        headers["webhook-signature"],
    )


async def test_redelivered_risk_change_is_not_sent_twice() -> None:
    log, sender = InMemoryNotificationLog(), ScriptedSender(200)
    await notify_risk_change(change(), URL, SECRET, log, sender, NOW)
    assert await notify_risk_change(change(), URL, SECRET, log, sender, NOW) is None
    assert len(sender.sent) == 1


async def test_server_error_is_retried_later() -> None:
    with pytest.raises(DeliveryFailed):
        await notify_risk_change(
            change(), URL, SECRET, InMemoryNotificationLog(), ScriptedSender(503), NOW
        )


async def test_unreachable_destination_is_retried_later() -> None:
    with pytest.raises(DeliveryFailed):
        await notify_risk_change(
            change(),
            URL,
            SECRET,
            InMemoryNotificationLog(),
            ScriptedSender(ConnectionError("refused")),
            NOW,
        )


async def test_client_error_fails_for_good_and_says_so() -> None:
    result = await notify_risk_change(
        change(), URL, SECRET, InMemoryNotificationLog(), ScriptedSender(410), NOW
    )
    assert isinstance(result, NotificationFailedV1)
    assert result.error == "HTTP 410"
