"""``find_decoded`` decodes each large reply in a thread while the next is read."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import bson
import pytest
from bson.codec_options import DEFAULT_CODEC_OPTIONS

from shared.mongo import DECODE_OFF_LOOP_BYTES, find_decoded

pytestmark = pytest.mark.unit


def reply(first: int, count: int, padding: int) -> bytes:
    """A raw reply as the server sends it: BSON documents one after another."""
    return b"".join(bson.encode({"_id": first + n, "pad": "x" * padding}) for n in range(count))


class Replies:
    """A collection whose raw cursor yields ``replies``, then fails if told to."""

    codec_options = DEFAULT_CODEC_OPTIONS

    def __init__(self, replies: list[bytes], failure: Exception | None = None) -> None:
        self.replies, self.failure = replies, failure

    def find_raw_batches(self, query: dict[str, Any], batch_size: int) -> AsyncIterator[bytes]:
        return self._replies()

    async def _replies(self) -> AsyncIterator[bytes]:
        for raw in self.replies:
            await asyncio.sleep(0)
            yield raw
        if self.failure is not None:
            raise self.failure


LARGE = DECODE_OFF_LOOP_BYTES // 10


async def test_small_and_large_replies_come_back_whole_and_in_order() -> None:
    replies = [reply(0, 20, LARGE), reply(20, 3, 1), reply(23, 20, LARGE), reply(43, 20, LARGE)]
    documents = await find_decoded(Replies(replies), {})  # type: ignore[arg-type]
    assert [d["_id"] for d in documents] == list(range(63))


async def test_a_read_failing_with_a_reply_still_decoding_fails_with_its_own_error() -> None:
    failing = Replies([reply(0, 20, LARGE)], ConnectionError("the server went away"))
    with pytest.raises(ConnectionError, match="went away"):
        await find_decoded(failing, {})  # type: ignore[arg-type]
    # Nothing left behind to fail unheard: the reply being decoded was let go.
    await asyncio.sleep(0)
    left = {t for t in asyncio.all_tasks() if t is not asyncio.current_task()}
    assert all(task.cancelled() for task in left)
