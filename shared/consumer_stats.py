"""Per durable consumer: pending, awaiting ack, redelivered and dead-lettered, as JetStream says.

Read on each scrape (``refresh`` before ``/metrics`` renders) rather than counted in-process:
JetStream's numbers hold for every replica and survive restarts, and a scrape every 15 s costs
two small API calls per consumer. Each service reports its own consumers (``BUS_USERS``), so
with several replicas the series repeat; dashboards take ``max by (consumer)``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence

from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from opentelemetry.metrics import CallbackOptions, Meter, Observation

from shared.subjects import DEAD_LETTERS, ConsumerSpec, dead_letter_subject

logger = logging.getLogger(__name__)

GAUGES = {
    "pending": "slipstream.consumer.pending",
    "ack_pending": "slipstream.consumer.ack_pending",
    "redelivered": "slipstream.consumer.redelivered",
    "dead_letters": "slipstream.consumer.dead_letters",
}
DESCRIPTIONS = {
    "pending": "Messages in the stream the consumer has not been given yet",
    "ack_pending": "Messages handed out and not yet acknowledged",
    "redelivered": "Messages handed out more than once and not yet acknowledged",
    "dead_letters": "Messages of this consumer parked in the dead-letter stream",
}


class ConsumerStats:
    def __init__(self, meter: Meter, consumers: Sequence[ConsumerSpec]) -> None:
        self.consumers = tuple(consumers)
        self.latest: dict[str, dict[str, int]] = {key: {} for key in GAUGES}
        for key, name in GAUGES.items():
            meter.create_observable_gauge(
                name,
                callbacks=[self._observer(key)],
                unit="{message}",
                description=DESCRIPTIONS[key],
            )

    def _observer(self, key: str) -> Callable[[CallbackOptions], Iterable[Observation]]:
        def observe(_: CallbackOptions) -> Iterable[Observation]:
            by_durable = self.latest[key]
            return [
                Observation(by_durable[c.durable], {"consumer": c.durable, "stream": c.stream})
                for c in self.consumers
                if c.durable in by_durable
            ]

        return observe

    async def refresh(self, js: JetStreamContext) -> None:
        """Read the numbers now; a consumer JetStream cannot describe keeps its last values."""
        for spec in self.consumers:
            try:
                info = await js.consumer_info(spec.stream, spec.durable)
            except (NatsError, TimeoutError) as exc:
                logger.debug("consumer info unavailable", extra={"fields": {"error": repr(exc)}})
                continue
            self.latest["pending"][spec.durable] = info.num_pending or 0
            self.latest["ack_pending"][spec.durable] = info.num_ack_pending or 0
            self.latest["redelivered"][spec.durable] = info.num_redelivered or 0
        if not self.consumers:
            return
        try:
            info = await js.stream_info(DEAD_LETTERS.name, subjects_filter="deadletter.>")
        except (NatsError, TimeoutError) as exc:
            logger.debug("dead-letter stream unavailable", extra={"fields": {"error": repr(exc)}})
            return
        parked = info.state.subjects or {}
        for spec in self.consumers:
            self.latest["dead_letters"][spec.durable] = parked.get(
                dead_letter_subject(spec.durable), 0
            )
