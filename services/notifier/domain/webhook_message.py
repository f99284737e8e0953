"""What a risk change becomes as a signed webhook body, decided without I/O.

``NOTIFIER_WEBHOOK_URL`` is an implicit subscription: every risk change, immediately, one
message each, signed with ``NOTIFIER_WEBHOOK_SECRET``, recorded in the same outbox as every
other message (so it gets the same retries, dead letters and crash safety). Its id and body
are what they always were, so a receiver's deduplication by ``webhook-id`` keeps working.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from services.notifier.domain.event_changes import change_from_risk
from services.notifier.domain.message_content import headline
from shared.events import RiskChangedV1, derive_event_id


@dataclass(frozen=True)
class Notification:
    """One message to one destination; its id is stable across redeliveries of the cause."""

    notification_id: str
    cause_event_id: str
    destination: str
    event_type: str
    body: bytes


def notification_for(change: RiskChangedV1, destination: str) -> Notification:
    payload = {
        "type": "risk.changed",
        "timestamp": change.occurred_at.isoformat(),
        "data": change.model_dump(mode="json", exclude={"delivery_id"}),
    }
    return Notification(
        notification_id="msg_" + derive_event_id("notification", change.event_id, destination),
        cause_event_id=change.event_id,
        destination=destination,
        event_type="risk.changed",
        body=json.dumps(payload, separators=(",", ":"), sort_keys=True).encode(),
    )


# The outbox row's ``signing`` when the secret is the configured one, not a person's.
CONFIGURED_SECRET = "configured"


def implicit_message(change: RiskChangedV1, destination: str) -> dict[str, Any]:
    notification = notification_for(change, destination)
    return {
        "_id": notification.notification_id,
        "person_id": None,
        "channel": "webhook",
        "destination": destination,
        "event_type": notification.event_type,
        "cause_event_id": change.event_id,
        "cause_event_ids": [change.event_id],
        "headline": headline([change_from_risk(change)]),
        "payload": json.loads(notification.body),
        "signing": CONFIGURED_SECRET,
    }
