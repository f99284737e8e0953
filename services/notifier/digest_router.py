"""A change in, routed to people and collected into their digest windows (no sending here)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from services.notifier.adapters.digests import MongoDigestWindows, MongoToldLevels
from services.notifier.adapters.directory import MongoDirectory
from services.notifier.domain.digest import DigestWindow, collect
from services.notifier.domain.routing import Change, Route, routes_for
from shared.events import RiskLevel


class DigestRouter:
    def __init__(
        self, directory: MongoDirectory, windows: MongoDigestWindows, told: MongoToldLevels
    ) -> None:
        self.directory = directory
        self.windows = windows
        self.told = told

    async def route(self, change: Change, now: datetime) -> list[Route]:
        return await self.route_all([change], now)

    async def route_all(self, changes: Sequence[Change], now: datetime) -> list[Route]:
        """Route a batch against one read of the directory (two whole-collection reads per
        change were most of the notifier's time per risk change under load)."""
        people, subscriptions = await self.directory.snapshot()
        routed: list[Route] = []
        for change in changes:
            for route in routes_for(change, people, subscriptions):
                told = await self.told.level(route.person_id, route.channel, change.item_id)
                add = collector(route, change, now, told)
                await self.windows.update(route.person_id, route.channel, add)
                routed.append(route)
        return routed


def collector(
    route: Route, change: Change, now: datetime, told: RiskLevel | None
) -> Callable[[DigestWindow | None], DigestWindow]:
    def add(window: DigestWindow | None) -> DigestWindow:
        person, channel, seconds = route.person_id, route.channel, route.digest_seconds
        return collect(window, person, channel, change, seconds, now, told)

    return add
