"""The delivery loop ticks when woken or when a tick left work behind, else at its poll."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from services.notifier.delivery_loop import DeliveryLoop

POLL = 3600.0  # long enough that only a wake or a backlog can explain a second tick


class CountingWorker:
    def __init__(self, backlogs: list[bool]) -> None:
        self.ticks = 0
        self.backlogs = backlogs
        self.backlog = False
        self.ticked = asyncio.Event()

    async def send_due(self, now: datetime) -> int:
        self.ticks += 1
        self.backlog = self.backlogs.pop(0) if self.backlogs else False
        self.ticked.set()
        return 0

    async def settled(self) -> None:
        pass


async def ticks_after(loop: DeliveryLoop, worker: CountingWorker, action: Any) -> int:
    await loop.start()
    try:
        await asyncio.wait_for(worker.ticked.wait(), 5)
        worker.ticked.clear()
        action()
        # Give the loop a chance to run whatever the action made due.
        for _ in range(20):
            await asyncio.sleep(0)
        return worker.ticks
    finally:
        await loop.stop()


def clock() -> datetime:
    return datetime(2026, 12, 1, tzinfo=UTC)


async def test_a_recorded_message_wakes_the_loop_before_its_poll() -> None:
    worker = CountingWorker([])
    loop = DeliveryLoop(worker, POLL, clock)  # type: ignore[arg-type]
    assert await ticks_after(loop, worker, loop.wake) == 2


async def test_without_a_wake_the_loop_waits_for_its_poll() -> None:
    worker = CountingWorker([])
    loop = DeliveryLoop(worker, POLL, clock)  # type: ignore[arg-type]
    assert await ticks_after(loop, worker, lambda: None) == 1


async def test_a_full_claim_is_followed_by_another_tick_at_once() -> None:
    worker = CountingWorker([True, True, False])
    loop = DeliveryLoop(worker, POLL, clock)  # type: ignore[arg-type]
    assert await ticks_after(loop, worker, lambda: None) == 3
