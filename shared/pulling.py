"""Pull what has arrived: batches as large as the backlog, never a wait for a full one.

FastStream 0.7's batch loop fetches again after a partial batch until the batch is full or its
window ends, so a lone message waited the whole window at every hop (~0.3 s each, three hops
from webhook to notification). nats-py's ``fetch`` already does what a pipeline wants: it
returns at once with whatever is pending (up to ``batch``) and, only when nothing is, waits
for the first message to arrive or ``timeout`` to end. Under load a batch is then whatever
arrived while the previous one was handled, so database writes still batch (one ``bulk_write``
each) and grow with the backlog, up to ``batch_size``.
"""

from __future__ import annotations

import asyncio
import logging

from faststream.nats.subscriber.usecases.stream_pull_subscriber import BatchPullStreamSubscriber
from nats.aio.msg import Msg
from nats.errors import ConnectionClosedError
from nats.js import JetStreamContext
from nats.js.errors import ServiceUnavailableError

logger = logging.getLogger(__name__)

# How long to wait before fetching again while NATS is unreachable, rather than spinning.
OUTAGE_PAUSE_SECONDS = 1.0


async def fetch_arrived(
    subscription: JetStreamContext.PullSubscription, batch_size: int, idle_wait: float
) -> list[Msg]:
    """What is pending now, up to ``batch_size``; when nothing is, the first to arrive."""
    try:
        return await subscription.fetch(batch=batch_size, timeout=idle_wait)
    except TimeoutError:
        # nats-py raises the builtin class or its own subclass of it: an idle window, no error.
        return []


def pull_what_arrived(
    subscriber: BatchPullStreamSubscriber, batch_size: int, idle_wait: float
) -> None:
    """Make ``subscriber`` hand over each fetch as it comes instead of topping batches up.

    The subscriber keeps everything else of FastStream's (lifecycle, middleware, telemetry,
    restart on failure); only the loop that fills batches is ours.
    """

    async def consume_pull() -> None:
        while subscriber.running:
            subscription = subscriber.subscription
            if subscription is None:
                return
            try:
                messages = await fetch_arrived(subscription, batch_size, idle_wait)
            except (ConnectionClosedError, ServiceUnavailableError) as exc:
                # Nothing is lost: what was fetched and not acked comes back after ack_wait.
                logger.warning("fetch failed; pausing", extra={"fields": {"error": repr(exc)}})
                await asyncio.sleep(OUTAGE_PAUSE_SECONDS)
                continue
            if messages and subscriber.running:
                await subscriber.consume(messages)

    # FastStream starts the task from this attribute (see BatchPullStreamSubscriber
    # ._create_subscription); failing loudly beats silently keeping the slow loop.
    if not callable(getattr(subscriber, "_consume_pull", None)):
        raise TypeError("FastStream's pull subscriber changed shape: no _consume_pull to replace")
    subscriber._consume_pull = consume_pull  # type: ignore[method-assign]
