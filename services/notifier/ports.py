"""What the notifier's subscribers need from the outside world."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from services.notifier.domain.change import Change
from services.notifier.domain.routing import Route


class ChangeRouter(Protocol):
    async def route_batch(self, changes: Sequence[Change], now: datetime) -> list[list[Route]]:
        """Route changes to people and collect them into their digest windows; the routes."""
        ...


class Outbox(Protocol):
    async def record_claimed(
        self, messages: list[dict[str, Any]], now: datetime
    ) -> list[dict[str, Any]]:
        """Record messages before any send, claimed for the caller to send; the new ones.

        Ids already recorded (replays) are left alone and not returned: they are sent, or
        will be, by whoever recorded them first.
        """
        ...


class Delivery(Protocol):
    """The delivery loop as the subscribers see it."""

    def wake(self) -> None:
        """Something may be due now (a digest window that closes at once): tick."""
        ...

    def hand(self, messages: list[dict[str, Any]]) -> None:
        """Messages recorded claimed for this process (``record_claimed``): send them next."""
        ...
