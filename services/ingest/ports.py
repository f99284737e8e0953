"""What the ingest use case needs from the outside world."""

from __future__ import annotations

from typing import Protocol

from services.ingest.domain import Delivery, Normalised


class PublishUnavailable(Exception):
    """JetStream did not acknowledge in time; the vendor must retry later."""


class DeliveryLog(Protocol):
    """Durable home for accepted deliveries, byte for byte."""

    async def keep(self, delivery: Delivery, delivery_id: str) -> bool:
        """Store the raw delivery; True when it was already kept (a vendor retry)."""
        ...


class AcceptedNormalisations(Protocol):
    """Told what each newly stored delivery normalised to, so it need not be done twice."""

    def remember(self, delivery: Delivery, delivery_id: str, normalised: Normalised) -> None: ...
