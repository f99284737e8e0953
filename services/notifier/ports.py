"""What the notifier's use case needs from the outside world."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from services.notifier.domain import Notification


class NotificationLog(Protocol):
    async def was_sent(self, notification_id: str) -> bool: ...

    async def record(
        self,
        notification: Notification,
        status: str,
        status_code: int | None,
        error: str | None = None,
    ) -> int:
        """Record an attempt and its outcome; return how many attempts there have been."""
        ...


class WebhookSender(Protocol):
    async def send(self, url: str, headers: Mapping[str, str], body: bytes) -> int:
        """POST the body; return the status code; raise on a transport failure."""
        ...
