"""What each event means to people, and the configured webhook's one signed POST per risk change."""

from __future__ import annotations

from datetime import datetime

from services.notifier.domain import (
    is_retryable,
    is_success,
    notification_for,
    unix_seconds,
)
from services.notifier.domain.change import Change
from services.notifier.domain.event_changes import (
    change_from_loop,
    change_from_release,
    change_from_risk,
    change_from_surge,
)
from services.notifier.ports import NotificationLog, WebhookSender
from shared.dispatch import Dispatch
from shared.events import (
    DemandSurgedV1,
    Event,
    LoopClosableV1,
    NotificationFailedV1,
    NotificationSentV1,
    ReleaseRiskChangedV1,
    RiskChangedV1,
    Source,
    derive_event_id,
)
from shared.events.streams import NotifierEvent
from shared.standard_webhooks import signed_headers

# What each event the notifier takes means to the people it routes to.
CHANGES_TO_NOTIFY: Dispatch[Change] = Dispatch(
    "changes to notify",
    NotifierEvent,
    {
        RiskChangedV1: change_from_risk,
        ReleaseRiskChangedV1: change_from_release,
        DemandSurgedV1: change_from_surge,
        LoopClosableV1: change_from_loop,
    },
)


class DeliveryFailed(Exception):
    """The destination may accept it later: redeliver with backoff."""


async def notify_risk_change(
    change: RiskChangedV1,
    destination: str,
    secret: str,
    log: NotificationLog,
    sender: WebhookSender,
    now: datetime,
) -> Event | None:
    notification = notification_for(change, destination)
    if await log.was_sent(notification.notification_id):
        return None
    headers = signed_headers(
        secret, notification.notification_id, unix_seconds(now), notification.body
    )
    headers["content-type"] = "application/json"
    try:
        status = await sender.send(destination, headers, notification.body)
    except Exception as exc:
        await log.record(notification, "retrying", None, error=repr(exc))
        raise DeliveryFailed(f"{destination} unreachable: {exc!r}") from exc
    common = {
        "event_id": derive_event_id(notification.notification_id, str(status)),
        "occurred_at": now,
        "source": Source.SLIPSTREAM,
        "notification_id": notification.notification_id,
        "cause_event_id": change.event_id,
        "destination": destination,
    }
    if is_success(status):
        attempts = await log.record(notification, "sent", status)
        return NotificationSentV1(**common, status_code=status, attempts=attempts)
    if is_retryable(status):
        await log.record(notification, "retrying", status)
        raise DeliveryFailed(f"{destination} answered {status}")
    attempts = await log.record(notification, "failed", status)
    return NotificationFailedV1(**common, error=f"HTTP {status}", attempts=attempts)
