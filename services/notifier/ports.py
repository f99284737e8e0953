"""What the notifier's subscribers need from the outside world."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from services.notifier.domain.change import Change


class ChangeRouter(Protocol):
    async def route_batch(self, changes: Sequence[Change], now: datetime) -> object:
        """Route changes to people and collect them into their digest windows."""
        ...


class Outbox(Protocol):
    async def record_all(self, messages: list[dict[str, Any]], now: datetime) -> int:
        """Record messages before any send; ids already recorded are left alone."""
        ...
