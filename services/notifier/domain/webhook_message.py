"""What a risk change becomes as a signed webhook body, decided without I/O."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

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


def unix_seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def is_success(status_code: int) -> bool:
    return 200 <= status_code < 300


def is_retryable(status_code: int) -> bool:
    """A 4xx other than 408/429 will not improve by trying again; 5xx, 408 and 429 may."""
    return status_code >= 500 or status_code in (408, 429)
