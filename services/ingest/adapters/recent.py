"""What this process just normalised for deliveries it accepted, for its own normaliser.

The request normalises every delivery before answering (a 422 must be synchronous), and the
in-process normaliser would then parse and normalise the same bytes again when the stored
delivery comes back from JetStream. It looks here first. A miss (after a restart, a delivery
accepted by another replica, a replay, an entry evicted or not yet remembered) only means
normalising again, so the memory is small, bounded and forgets what it hands out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.ingest.adapters.jetstream import header_safe
from services.ingest.domain import Delivery, Normalised

# A few seconds of peak traffic; far more than the normaliser's usual lag behind the writes.
MAX_ENTRIES = 4096
MAX_BYTES = 32 * 1024 * 1024
# A large body is rare and cheap to parse again relative to holding it in memory.
MAX_BODY_BYTES = 256 * 1024


@dataclass(frozen=True)
class _Entry:
    received_at: str
    body: bytes
    normalised: Normalised


class RecentNormalisations:
    """Keyed as the raw message's headers name the delivery: source and header-safe id."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.size = 0
        self._entries: dict[tuple[str, str], _Entry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def remember(self, delivery: Delivery, delivery_id: str, normalised: Normalised) -> None:
        if len(delivery.body) > MAX_BODY_BYTES:
            return
        key = (delivery.source, header_safe(delivery_id))
        self._forget(key)
        entry = _Entry(delivery.received_at.isoformat(), delivery.body, normalised)
        self._entries[key] = entry
        self.size += len(entry.body)
        # Oldest first: dicts keep insertion order.
        while len(self._entries) > self.max_entries or self.size > self.max_bytes:
            self._forget(next(iter(self._entries)))

    def recall(self, headers: Mapping[str, str], body: bytes) -> Normalised | None:
        """The normalisation of exactly this stored delivery, if this process made it."""
        key = (headers.get("Slipstream-Source", ""), headers.get("Slipstream-Delivery-Id", ""))
        entry = self._forget(key)
        # The same id with other bytes or another receipt time is another delivery (a vendor
        # reusing an id after the dedupe window): its events may differ, so normalise it.
        if entry is None or entry.body != body:
            return None
        if entry.received_at != headers.get("Slipstream-Received-At"):
            return None
        return entry.normalised

    def _forget(self, key: tuple[str, str]) -> _Entry | None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.size -= len(entry.body)
        return entry
