"""Bad signatures per source address: after ``limit`` within ``window`` seconds, back off.

Pure: the caller passes ``now`` (a monotonic reading in seconds). Memory is bounded: at most
``max_addresses`` are tracked, the longest-quiet forgotten first, and each keeps at most
``limit`` timestamps (older ones cannot change the answer).
"""

from __future__ import annotations

import math
from collections import deque


class FailureWindow:
    def __init__(self, limit: int, window: float, max_addresses: int = 10_000) -> None:
        self.limit = limit
        self.window = window
        self.max_addresses = max_addresses
        self.failures: dict[str, deque[float]] = {}

    def record(self, address: str, now: float) -> None:
        times = self.failures.pop(address, None) or deque(maxlen=self.limit)
        times.append(now)
        self.failures[address] = times  # re-inserted: dict order is least recently failed first
        if len(self.failures) > self.max_addresses:
            del self.failures[next(iter(self.failures))]

    def retry_after(self, address: str, now: float) -> int | None:
        """Whole seconds until this address may fail again, or None while it is within limit."""
        times = self.failures.get(address)
        if times is None or len(times) < self.limit:
            return None
        wait = times[0] + self.window - now
        if wait <= 0:
            return None
        return max(1, math.ceil(wait))
