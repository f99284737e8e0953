"""Several awaitables at once, failing as the first of them failed; work repeated by time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any


async def all_of(*work: Coroutine[Any, Any, Any]) -> list[Any]:
    """Run ``work`` at once; each result in order.

    A task group, not ``gather``: the first failure cancels the rest instead of leaving them
    running into a retry, and is raised as itself rather than inside an exception group.
    """
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(each) for each in work]
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None
    return [task.result() for task in tasks]


class Periodic:
    """``work`` now and then every ``interval`` seconds, until stopped.

    A failed round is logged and the next one still runs: whatever the work keeps up (a
    schedule, a derived document) is retried by time, and the loop must not die of it.
    """

    def __init__(
        self,
        name: str,
        work: Callable[[], Awaitable[object]],
        interval: float,
        logger: logging.Logger,
    ) -> None:
        self.name = name
        self.work = work
        self.interval = interval
        self.logger = logger
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            try:
                await self.work()
            except Exception:
                self.logger.exception("%s failed; retried in %s s", self.name, self.interval)
            await asyncio.sleep(self.interval)

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
