"""Keeping a batch's ack deadline alive while it is handled, so ``ack_wait`` can be short.

JetStream redelivers what a consumer fetched and did not ack once ``ack_wait`` passes. A
consumer killed mid-batch therefore holds that batch for the whole ``ack_wait``; a long one
makes every crash a long stall, a short one redelivers a batch that is merely slow (a database
pause). Telling the server "still working" every third of ``ack_wait`` gives both: a slow
batch keeps its messages, a dead consumer's batch comes back within seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

from nats.aio.msg import Msg


@contextlib.asynccontextmanager
async def kept_in_progress(messages: Sequence[Msg], ack_wait: float) -> AsyncIterator[None]:
    async def beat() -> None:
        while True:
            await asyncio.sleep(ack_wait / 3)
            for message in messages:
                # Already acked, or NATS briefly away: either way there is nothing to extend.
                with contextlib.suppress(Exception):
                    await message.in_progress()

    beating = asyncio.create_task(beat())
    try:
        yield
    finally:
        beating.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beating
