"""``all_of``: results in order, and the first failure raised as itself with the rest cancelled."""

from __future__ import annotations

import asyncio

import pytest

from shared.concurrency import all_of

pytestmark = pytest.mark.unit


async def test_results_come_back_in_the_order_given() -> None:
    async def after(seconds: float, value: str) -> str:
        await asyncio.sleep(seconds)
        return value

    assert await all_of(after(0.02, "slow"), after(0, "quick")) == ["slow", "quick"]


async def test_the_first_failure_is_raised_as_itself_and_the_rest_are_cancelled() -> None:
    cancelled = asyncio.Event()

    async def waits_forever() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def fails() -> None:
        await asyncio.sleep(0)
        raise TimeoutError("publish timed out")

    with pytest.raises(TimeoutError, match="publish timed out"):
        await all_of(waits_forever(), fails())
    assert cancelled.is_set()
