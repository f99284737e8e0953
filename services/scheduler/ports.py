"""What the scheduler's use cases need from the outside world."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from services.scheduler.domain import Assessment, Item
from shared.events import Event


class WorkStore(Protocol):
    async def apply(self, events: Sequence[Event]) -> list[Event]:
        """Project events idempotently; return those that were not stale."""
        ...

    async def documents(self, name: str, query: dict[str, Any]) -> list[dict[str, Any]]: ...


class AssessmentStore(Protocol):
    async def save(self, assessments: Sequence[tuple[Assessment, Item | None]]) -> None: ...

    async def remove(self, item_ids: Sequence[str]) -> None: ...

    async def all(self) -> list[dict[str, Any]]: ...


class Lease(Protocol):
    async def acquire(self, name: str, holder: str, ttl_seconds: float, now: datetime) -> bool:
        """Hold ``name`` until ``now + ttl`` unless another live holder has it."""
        ...
