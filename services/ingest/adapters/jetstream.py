"""Accepted deliveries go to JetStream: the raw bytes first, then the canonical events.

The raw delivery's msg id is ``<source>:<delivery id>``, so a vendor retry inside the stream's
duplicate window is acknowledged as a duplicate instead of stored twice; the events' msg ids are
their deterministic event ids, so a retry after a half-finished attempt completes it without
doubling anything.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence

from faststream.nats import NatsBroker
from nats.errors import Error as NatsError

from services.ingest.domain import Delivery
from services.ingest.ports import PublishUnavailable
from shared.events import Event
from shared.publishing import JetStreamPublisher
from shared.subjects import DEAD_LETTERS, RAW_DELIVERIES, dead_letter_subject, raw_delivery_subject

# Headers a proxy adds or that carry credentials have no place in the stored delivery.
_NOT_KEPT = frozenset({"authorization", "cookie", "proxy-authorization", "connection", "host"})


def delivery_headers(delivery: Delivery, delivery_id: str) -> dict[str, str]:
    kept = {k: v for k, v in delivery.headers.items() if k not in _NOT_KEPT}
    return {
        "Slipstream-Source": delivery.source,
        "Slipstream-Delivery-Id": delivery_id,
        "Slipstream-Received-At": delivery.received_at.isoformat(),
        "Slipstream-Headers": json.dumps(kept, separators=(",", ":")),
    }


class JetStreamDeliveryLog:
    def __init__(self, broker: NatsBroker, timeout: float) -> None:
        self.broker = broker
        self.timeout = timeout
        self.events = JetStreamPublisher(broker, timeout)

    async def accept(self, delivery: Delivery, delivery_id: str, events: Sequence[Event]) -> bool:
        headers = delivery_headers(delivery, delivery_id)
        headers["Nats-Msg-Id"] = f"{delivery.source}:{delivery_id}"
        try:
            ack = await self.broker.publish(
                delivery.body,
                subject=raw_delivery_subject(delivery.source),
                headers=headers,
                stream=RAW_DELIVERIES.name,
                timeout=self.timeout,
            )
            # Pipelined: every publish is in flight at once, and we wait for all the acks.
            await asyncio.gather(*(self.events.publish(event) for event in events))
        except (TimeoutError, NatsError) as exc:
            raise PublishUnavailable(f"JetStream did not acknowledge: {exc!r}") from exc
        return bool(getattr(ack, "duplicate", False))

    async def dead_letter(self, delivery: Delivery, delivery_id: str, reason: str) -> None:
        headers: Mapping[str, str] = {
            **delivery_headers(delivery, delivery_id),
            "Slipstream-Reason": reason[:1000],
            "Nats-Msg-Id": f"{delivery.source}:{delivery_id}:dead",
        }
        try:
            await self.broker.publish(
                delivery.body,
                subject=dead_letter_subject(f"ingest.{delivery.source}"),
                headers=dict(headers),
                stream=DEAD_LETTERS.name,
                timeout=self.timeout,
            )
        except (TimeoutError, NatsError) as exc:
            raise PublishUnavailable(f"JetStream did not acknowledge: {exc!r}") from exc
