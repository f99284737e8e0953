"""What the ingest use case needs from the outside world."""

from __future__ import annotations

from typing import Protocol

from services.ingest.domain import Delivery


class PublishUnavailable(Exception):
    """JetStream did not acknowledge in time; the vendor must retry later."""


class DeliveryLog(Protocol):
    """Durable home for accepted deliveries, byte for byte."""

    async def keep(self, delivery: Delivery, delivery_id: str) -> bool:
        """Store the raw delivery; True when it was already kept (a vendor retry)."""
        ...
