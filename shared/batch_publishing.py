"""Many events into one stream as atomic JetStream batches: one sync for a batch, not one each.

With ``sync_interval: always`` NATS syncs every stored message, one after another, so
publishing one at a time tops out near 4,500 a second here whatever the window, and a first
start's 60,000 announcements took 25 s. An atomic batch (NATS 2.12+, a stream with
``allow_atomic``) is stored, and synced, at its commit: 2,000 events in 500s went at 54,000 a
second in the same measurement.

A batch holding an id the stream has stored already is refused whole (a retry repeats ids on
purpose), and so is any batch on a stream that does not allow them; its events are then
published one by one (``publish_pipelined``: a window of them in flight, each with its event
id as msg id), where the duplicate window drops what is stored, so an event is stored once
either way. A few events go one by one from the start: that is sooner.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable, Sequence

from nats.aio.client import Client
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import Tracer

from shared.concurrency import all_of
from shared.events import Event
from shared.messaging import start_publish_span
from shared.publishing import EventPublisher
from shared.telemetry import log_fields

logger = logging.getLogger(__name__)
# The server's default ceiling on one batch (``jetstream.limits.batch.max_msgs``).
MOST_IN_A_BATCH = 1_000
# A commit costs about 2.3 ms whatever the batch holds, where one publish costs 0.5 ms and a
# few in flight overlap (5: 1.4 ms, 20: 4.2 ms; NATS 2.15, sync always, here): below this
# many, one by one is sooner. At 50 webhooks/s batches of one or two added 10 ms to a hop.
FEWEST_FOR_A_BATCH = 8
Publication = tuple[Event, otel_context.Context | None]


class BatchRefused(Exception):
    """The stream would not take the batch as a batch; nothing of it is stored."""


def batch_headers(event: Event, batch_id: str, sequence: int, last: bool) -> dict[str, str]:
    headers = {
        "Nats-Msg-Id": event.event_id,
        "Nats-Batch-Id": batch_id,
        "Nats-Batch-Sequence": str(sequence),
    }
    if last:
        headers["Nats-Batch-Commit"] = "1"
    return headers


class AtomicBatches:
    def __init__(
        self, connection: Callable[[], Client], tracer: Tracer, timeout: float = 5.0
    ) -> None:
        # Asked for at each commit: the broker connects after this is built, and reconnects.
        self.connection = connection
        self.tracer = tracer
        self.timeout = timeout

    async def commit(self, publications: Sequence[Publication]) -> None:
        """Store every event, each under a producer span in its cause's trace, or raise.

        All must go to one stream; at most ``MOST_IN_A_BATCH`` of them.
        """
        if not publications:
            return
        batch_id, connection = uuid.uuid4().hex, self.connection()
        version = connection.connected_server_version
        if (version.major, version.minor) < (2, 12):
            # An older server stores each message of a "batch" alone, the unacked ones unseen.
            raise BatchRefused(f"NATS {version} has no atomic batches (2.12+)")
        last = len(publications)
        for sequence, (event, context) in enumerate(publications, start=1):
            headers = batch_headers(event, batch_id, sequence, sequence == last)
            span = start_publish_span(self.tracer, event.subject, event.event_id, context)
            with trace.use_span(span, end_on_exit=True):
                propagate.inject(headers)
                body = event.model_dump_json().encode()
                if sequence < last:
                    await connection.publish(event.subject, body, headers=headers)
                    continue
                reply = await connection.request(
                    event.subject, body, timeout=self.timeout, headers=headers
                )
        answer = json.loads(reply.data or b"{}")
        if "error" in answer:
            raise BatchRefused(answer["error"].get("description", str(answer["error"])))


# Publishes in flight at once. Each waits for an fsync'd ack and the server syncs one after
# another, so a few in flight already keep it busy; more only queue each publish longer
# (12,000 at once, a first start's burst, outlasted the publish timeout and every one failed).
PUBLISH_WINDOW = 32
# A publish that timed out may or may not be stored; again under the same ``Nats-Msg-Id`` it
# is stored once either way. Retrying the one beats failing a first start's whole burst, whose
# retry reloads the portfolio and publishes every announcement again.
PUBLISH_ATTEMPTS = 3


async def publish_pipelined(
    publisher: EventPublisher, publications: Sequence[Publication], window: int = PUBLISH_WINDOW
) -> None:
    """Publish every event with at most ``window`` unacknowledged; all acked on return.

    A failure cancels the rest (a task group, not ``gather``, which would leave them running
    into the retry); the retry publishes them all again under the same ids, deduplicated.
    """
    slots = asyncio.Semaphore(window)

    async def one(event: Event, context: otel_context.Context | None) -> None:
        async with slots:
            for attempt in range(1, PUBLISH_ATTEMPTS + 1):
                try:
                    await publisher.publish(event, context)
                    return
                except TimeoutError:
                    if attempt == PUBLISH_ATTEMPTS:
                        raise
                    logger.warning(
                        "publish timed out; again",
                        extra=log_fields(event_id=event.event_id, attempt=attempt),
                    )

    await all_of(*(one(event, context) for event, context in publications))


async def publish_in_batches(
    batches: AtomicBatches | None, publisher: EventPublisher, publications: Sequence[Publication]
) -> None:
    """Every event acked on return: in atomic batches, or one by one for a batch the
    stream refuses (one it has stored some of already: a retry) or whose commit timed out
    (stored or not, the one-by-one publishes store each once), and for a few, which one by
    one are sooner."""
    for start in range(0, len(publications), MOST_IN_A_BATCH):
        batch = publications[start : start + MOST_IN_A_BATCH]
        if batches is None or len(batch) < FEWEST_FOR_A_BATCH:
            await publish_pipelined(publisher, batch)
            continue
        try:
            await batches.commit(batch)
        except (BatchRefused, TimeoutError) as exc:
            logger.info(
                "events published one by one",
                extra=log_fields(events=len(batch), reason=str(exc) or type(exc).__name__),
            )
            await publish_pipelined(publisher, batch)
