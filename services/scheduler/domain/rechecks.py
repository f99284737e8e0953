"""When items must be re-checked: the days their assessments' windows run out.

A full pass hands over every item's window end at once, kept as two sorted arrays read with a
cursor; single re-assessments push theirs on a small heap. Building a heap of 100,000 tuples
instead cost a tenth of a full pass (measured: 42 ms of 0.54 s). An entry is stale when the
item's window changed since; the caller checks that against ``valid_until``.
"""

from __future__ import annotations

import heapq

import numpy as np

from services.scheduler.domain.snapshot import Ints


class Rechecks:
    def __init__(self) -> None:
        self._heap: list[tuple[int, int]] = []
        self._days: Ints = np.empty(0, dtype=np.int64)
        self._nodes: Ints = np.empty(0, dtype=np.int64)
        self._next = 0

    def replace_all(self, days: Ints, nodes: Ints) -> None:
        """Forget every entry; ``nodes[i]`` is due on ``days[i]``."""
        by_day = np.argsort(days, kind="stable")
        self._days, self._nodes, self._next = days[by_day], nodes[by_day], 0
        self._heap = []

    def push(self, day: int, n: int) -> None:
        heapq.heappush(self._heap, (day, n))

    def due(self, today: int) -> list[tuple[int, int]]:
        """Take every entry due on or before ``today``: (day, node) pairs."""
        end = int(np.searchsorted(self._days, today, side="right"))
        taken: list[tuple[int, int]] = []
        if end > self._next:
            taken = list(
                zip(
                    self._days[self._next : end].tolist(),
                    self._nodes[self._next : end].tolist(),
                    strict=True,
                )
            )
            self._next = end
        heap = self._heap
        while heap and heap[0][0] <= today:
            taken.append(heapq.heappop(heap))
        return taken
