"""What the feedback use case needs from its store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from services.feedback.domain import Demand
from shared.events import FeedbackReceivedV1


class FeedbackStore(Protocol):
    async def apply(self, events: Sequence[FeedbackReceivedV1]) -> set[str]:
        """Upsert feedback guarded by the source's clock; return the item ids it touched."""
        ...

    async def customers_waiting_on(self, item_id: str) -> list[str]: ...

    async def demand(self, item_id: str) -> Demand | None: ...

    async def save_demand(self, item_id: str, demand: Demand) -> None: ...
