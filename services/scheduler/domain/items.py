"""What the engine knows of each node's item, as parallel lists of ints (day ordinals, see
``dates``), so the hot loops never touch ``date`` objects."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from services.scheduler.domain.dates import NO_DATE, ordinal
from services.scheduler.domain.model import Item
from shared.events import ItemStatus


class NodeFacts:
    """What the engine needs of each node's item; a node without an item is *unknown*."""

    def __init__(self) -> None:
        self.items: list[Item | None] = []
        self.is_open: list[bool] = []
        self.target: list[int] = []
        self.start: list[int] = []
        self.duration: list[int] = []
        self.done: list[int] = []
        self.updated: list[int] = []
        self.demand: list[float] = []
        # ``columns``'s last result and the nodes set since: a full pass patches those few
        # instead of copying seven lists of every node (measured: 20 ms of a 0.45 s pass).
        self._columns: dict[str, npt.NDArray[Any]] | None = None
        self._set_since: set[int] = set()

    def grow(self, size: int) -> None:
        while len(self.items) < size:
            self.items.append(None)
            self.is_open.append(False)
            self.target.append(NO_DATE)
            self.start.append(NO_DATE)
            self.duration.append(0)
            self.done.append(NO_DATE)
            self.updated.append(NO_DATE)
            self.demand.append(0.0)

    def set_item(self, n: int, item: Item | None) -> None:
        self.items[n] = item
        self._set_since.add(n)
        if item is None:
            self.is_open[n] = False
            self.target[n] = self.start[n] = self.done[n] = self.updated[n] = NO_DATE
            self.duration[n] = 0
            return
        target, start = ordinal(item.target), ordinal(item.start)
        self.is_open[n] = item.status is not ItemStatus.DONE
        self.target[n], self.start[n] = target, start
        # A target before the planned start is a data error, not negative work.
        known = target >= 0 and start >= 0
        self.duration[n] = max(0, target - start) if known else 0
        self.done[n] = ordinal(item.done_on)
        self.updated[n] = NO_DATE if item.updated_at is None else item.updated_at.toordinal()

    def columns(self) -> dict[str, npt.NDArray[Any]]:
        """``known`` and every list but ``items`` and ``demand`` as numpy arrays (read-only)."""
        size, cached, since = len(self.items), self._columns, self._set_since
        if cached is None or len(cached["known"]) != size or len(since) > size // 8:
            cached = {name: _column(getattr(self, name), kind, size) for name, kind in _KINDS}
            cached["known"] = np.fromiter((i is not None for i in self.items), np.bool_, size)
        elif since:
            nodes = sorted(since)
            at = np.array(nodes, dtype=np.int64)
            cached = dict(cached)  # a copy per patched column: the last pass may still hold one
            for name, kind in _KINDS:
                values = getattr(self, name)
                cached[name] = cached[name].copy()
                cached[name][at] = np.array([values[n] for n in nodes], dtype=kind)
            cached["known"] = cached["known"].copy()
            cached["known"][at] = [self.items[n] is not None for n in nodes]
        for column in cached.values():
            column.setflags(write=False)
        self._columns, self._set_since = cached, set()
        return cached


_KINDS = (
    ("is_open", np.bool_),
    ("target", np.int64),
    ("start", np.int64),
    ("duration", np.int64),
    ("done", np.int64),
    ("updated", np.int64),
)


def _column(values: list[int] | list[bool], kind: type, size: int) -> npt.NDArray[Any]:
    # fromiter with a known count: about half the time of asarray on a list (measured)
    return np.fromiter(values, dtype=kind, count=size)
