"""The vocabulary every source parser shares: a delivery in, canonical events out."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypedDict

# Re-exported: parsers import their whole vocabulary from this one module.
from services.ingest.domain.rules import SourceRules as SourceRules
from shared.events import Event, Source, derive_event_id


@dataclass(frozen=True)
class Delivery:
    """One webhook request as received: raw bytes, because signatures cover the exact bytes."""

    source: str
    headers: Mapping[str, str]  # names lower-cased by the HTTP layer
    body: bytes
    received_at: datetime  # aware UTC

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        value = self.headers.get(wanted)
        if value is not None:
            return value
        # Tolerate a caller that forgot to lower-case: a missed header would read as forged.
        for key, candidate in self.headers.items():
            if key.lower() == wanted:
                return candidate
        return None


class VerificationFailed(Exception):
    """The delivery is not provably from the vendor (answer 401)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Uninterpretable(Exception):
    """Authentic JSON we cannot turn into events (answer 422, keep and dead-letter it)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Normalised:
    """What one delivery means; ``ignored`` says why when it means nothing to us."""

    delivery_id: str
    events: tuple[Event, ...]
    ignored: str | None = None


class EventHeader(TypedDict):
    """The fields every canonical event of a delivery carries."""

    event_id: str
    occurred_at: datetime
    source: Source
    delivery_id: str


class Emitter:
    """Numbers the events of one delivery so a vendor retry derives the same event ids."""

    def __init__(self, source: Source, delivery_id: str, occurred_at: datetime) -> None:
        self.source = source
        self.delivery_id = delivery_id
        self.occurred_at = occurred_at
        self.events: list[Event] = []

    def header(self) -> EventHeader:
        index = str(len(self.events))
        return EventHeader(
            event_id=derive_event_id(self.source.value, self.delivery_id, index),
            occurred_at=self.occurred_at,
            source=self.source,
            delivery_id=self.delivery_id,
        )

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def result(self, ignored: str | None = None) -> Normalised:
        return Normalised(self.delivery_id, tuple(self.events), ignored)


def body_digest(body: bytes) -> str:
    """Stand-in delivery id for vendors that send none: a retry carries the same bytes."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


class SourceParser(Protocol):
    """What the HTTP layer needs from each vendor."""

    name: str

    def verify(self, delivery: Delivery, secrets: Sequence[str], now: datetime) -> None: ...

    def delivery_id(self, delivery: Delivery, payload: Mapping[str, object]) -> str: ...

    def normalise(
        self,
        delivery: Delivery,
        payload: Mapping[str, object],
        delivery_id: str,
        rules: SourceRules,
    ) -> Normalised: ...
