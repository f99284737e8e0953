"""What the engine knows of each node's item, as parallel lists of ints (day ordinals, see
``dates``), so the hot loops never touch ``date`` objects."""

from __future__ import annotations

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
