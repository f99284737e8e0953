"""Small builders so each scenario reads as its dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from services.scheduler.domain import Item
from shared.events import ItemStatus

TODAY = date(2026, 3, 2)


def day(offset: int) -> date:
    """A date ``offset`` days from ``TODAY``."""
    return TODAY + timedelta(days=offset)


def item(
    item_id: str,
    *,
    target: int | None = None,
    start: int | None = None,
    done: int | None = None,
    team: str | None = None,
    release: str | None = None,
    updated: int | None = 0,
) -> Item:
    """An item with dates given as offsets from ``TODAY``; ``done`` marks it done that day."""
    return Item(
        id=item_id,
        title=item_id,
        status=ItemStatus.IN_PROGRESS if done is None else ItemStatus.DONE,
        team=team,
        target=None if target is None else day(target),
        start=None if start is None else day(start),
        done_on=None if done is None else day(done),
        release_id=release,
        updated_at=None
        if updated is None
        else datetime.combine(day(updated), datetime.min.time(), tzinfo=UTC),
    )
