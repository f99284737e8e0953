"""Risk changes fanned out to open dashboards, as server-sent events.

The announcer tells the feed after each reassessment it stored; every open page holds a small
queue. A page that falls behind loses old notices, not the next one: each notice only says
"look again", so dropping the oldest is harmless.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable

from opentelemetry.metrics import Meter

QUEUE_SIZE = 16
KEEPALIVE_SECONDS = 15.0


class RiskFeed:
    def __init__(self, meter: Meter | None = None) -> None:
        self.listeners: set[asyncio.Queue[list[str]]] = set()
        self.open_streams = (
            None
            if meter is None
            else meter.create_up_down_counter(
                "slipstream.dashboard.streams", unit="{stream}", description="open live pages"
            )
        )
        self.notices = (
            None
            if meter is None
            else meter.create_counter(
                "slipstream.dashboard.notices", unit="{notice}", description="risk notices sent"
            )
        )

    def announce(self, item_ids: Iterable[str]) -> None:
        changed = sorted(set(item_ids))
        if not changed:
            return
        for queue in self.listeners:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(changed)
        if self.notices is not None:
            self.notices.add(len(self.listeners))

    async def events(self, keepalive: float = KEEPALIVE_SECONDS) -> AsyncIterator[str]:
        """Server-sent event frames: a ``risk`` event per change, comments to keep it open."""
        queue: asyncio.Queue[list[str]] = asyncio.Queue(QUEUE_SIZE)
        self.listeners.add(queue)
        self._count(1)
        try:
            yield "retry: 2000\n: connected\n\n"
            while True:
                try:
                    changed = await asyncio.wait_for(queue.get(), keepalive)
                except TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                yield f"event: risk\ndata: {json.dumps({'items': changed})}\n\n"
        finally:
            self.listeners.discard(queue)
            self._count(-1)

    def _count(self, delta: int) -> None:
        if self.open_streams is not None:
            self.open_streams.add(delta)
