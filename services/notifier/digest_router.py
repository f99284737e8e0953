"""Changes in, routed to people and collected into their digest windows (no sending here).

A batch is routed against one directory index, the levels each person was last told are read
in one query, and every window touched is read at once and written in one bulk write with all
of the batch's changes for it: a handful of round trips per batch, whoever is in the directory.
Only the batch's own entries of each window are read and written (each entry is a document
of its own), so a batch costs the same however much the windows it joins have collected.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from services.notifier.adapters.digests import MongoDigestWindows, MongoToldLevels
from services.notifier.adapters.directory import MongoDirectory
from services.notifier.domain.change import Change
from services.notifier.domain.digest import DigestWindow, collect
from services.notifier.domain.routing import Route, routes_in
from shared.events import RiskLevel

Told = dict[tuple[str, str, str], RiskLevel]


class DigestRouter:
    def __init__(
        self, directory: MongoDirectory, windows: MongoDigestWindows, told: MongoToldLevels
    ) -> None:
        self.directory = directory
        self.windows = windows
        self.told = told

    async def route(self, change: Change, now: datetime) -> list[Route]:
        return (await self.route_batch([change], now))[0]

    async def route_batch(self, changes: Sequence[Change], now: datetime) -> list[list[Route]]:
        """The routes of each change, in order; windows are updated before this returns."""
        index = await self.directory.index()
        routes = [routes_in(change, index) for change in changes]
        by_window: dict[tuple[str, str], list[tuple[Route, Change]]] = {}
        for change, found in zip(changes, routes, strict=True):
            for route in found:
                by_window.setdefault((route.person_id, route.channel), []).append((route, change))
        keys = [(r.person_id, r.channel, c.key) for pairs in by_window.values() for r, c in pairs]
        told = await self.told.levels(keys)
        await self.windows.update_all(
            {key: collector(pairs, now, told) for key, pairs in by_window.items()},
            {key: {change.key for _, change in pairs} for key, pairs in by_window.items()},
        )
        return routes


def collector(
    pairs: list[tuple[Route, Change]], now: datetime, told: Told
) -> Callable[[DigestWindow | None], DigestWindow]:
    """Applied to the window as stored; re-applied whole if another writer got there first."""

    def add(window: DigestWindow | None) -> DigestWindow:
        for route, change in pairs:
            person, channel, seconds = route.person_id, route.channel, route.digest_seconds
            last = told.get((person, channel, change.key))
            window = collect(window, person, channel, change, seconds, now, last)
        assert window is not None, "at least one change was collected"
        return window

    return add
