"""What the ingest use case needs from the outside world."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from services.ingest.domain import Delivery
from shared.events import Event


class PublishUnavailable(Exception):
    """JetStream did not acknowledge in time; the vendor must retry later."""


class DeliveryLog(Protocol):
    """Durable home for accepted deliveries and the events they yield."""

    async def accept(self, delivery: Delivery, delivery_id: str, events: Sequence[Event]) -> bool:
        """Store the raw delivery and publish its events; True when it was seen before."""
        ...

    async def dead_letter(self, delivery: Delivery, delivery_id: str, reason: str) -> None:
        """Keep a delivery we could not interpret, with the reason, for a later replay."""
        ...
