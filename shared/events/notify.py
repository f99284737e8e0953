"""Events the notifier publishes about what it delivered."""

from __future__ import annotations

from typing import ClassVar

from shared.events.base import Event


class NotificationSentV1(Event):
    """A notification reached its destination (2xx answer)."""

    subject: ClassVar[str] = "notify.notification.sent.v1"

    notification_id: str
    cause_event_id: str
    destination: str
    status_code: int
    attempts: int


class NotificationFailedV1(Event):
    """A notification could not be delivered after every retry."""

    subject: ClassVar[str] = "notify.notification.failed.v1"

    notification_id: str
    cause_event_id: str
    destination: str
    error: str
    attempts: int
