"""What the notifier's use case needs from the outside world."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from services.notifier.domain import Notification
from services.notifier.domain.change import Change


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


class ChangeRouter(Protocol):
    async def route_batch(self, changes: Sequence[Change], now: datetime) -> object:
        """Route changes to people and collect them into their digest windows."""
        ...
