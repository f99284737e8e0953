"""Several awaitables at once, failing as the first of them failed."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
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
