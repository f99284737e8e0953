"""Start-up reconciliation and the re-check lease against a real MongoDB-compatible server."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from services.scheduler.adapters.mongo import MongoLease
from services.scheduler.timer import RecheckTimer
from tests.integration.scheduler.conftest import Scheduler
from tests.unit.scheduler_app.support import T0, edge, item

pytestmark = pytest.mark.integration


async def test_restart_announces_a_change_that_was_projected_but_never_published(
    scheduler: Scheduler, db: Any, unique: str
) -> None:
    a, b = f"jira:A-{unique}", f"jira:B-{unique}"
    await scheduler.feed([item(a, 1, target=10), item(b, 1, target=30)])
    # A crash after the projection write, before any announcement: only the edge is stored.
    await scheduler.store.apply([edge(b, a, 2)])

    restarted = Scheduler(db)
    assert await restarted.start() == 1

    [announced] = restarted.publisher.risk(a)
    assert (announced.level, announced.previous_level) == ("off_track", "on_track")
    stored = await restarted.document("assessments", a)
    assert stored is not None
    assert stored["level"] == "off_track"
    again = Scheduler(db)
    assert await again.start() == 0


async def test_replicas_starting_together_announce_with_the_same_event_id(
    scheduler: Scheduler, db: Any, unique: str
) -> None:
    a, b = f"jira:A-{unique}", f"jira:B-{unique}"
    await scheduler.feed([item(a, 1, target=10), item(b, 1, target=30)])
    await scheduler.store.apply([edge(b, a, 2)])
    stored_before = await scheduler.document("assessments", a)
    first, second = Scheduler(db), Scheduler(db)
    await first.start()
    # `second` read the store before `first` wrote: put back what it would have seen.
    await db["assessments"].replace_one({"_id": a}, stored_before)
    await second.start()

    [one], [two] = first.publisher.risk(a), second.publisher.risk(a)
    assert one.event_id == two.event_id  # JetStream's duplicate window keeps one


def timer(scheduler: Scheduler, holder: str) -> RecheckTimer:
    return RecheckTimer(
        scheduler.announcer, MongoLease(scheduler.db), 60.0, 120.0, holder=f"{holder}"
    )


async def test_only_one_replica_runs_the_schedule_until_its_lease_expires(db: Any) -> None:
    one, two = timer(Scheduler(db), "one"), timer(Scheduler(db), "two")

    assert await one.tick(T0) == 0
    assert await two.tick(T0 + timedelta(seconds=1)) is None
    assert await one.tick(T0 + timedelta(seconds=60)) == 0
    assert await two.tick(T0 + timedelta(seconds=150)) is None  # renewed at 60 s: 180 s
    assert await two.tick(T0 + timedelta(seconds=181)) == 0  # `one` went quiet: takeover
    assert await one.tick(T0 + timedelta(seconds=200)) is None


async def test_recheck_announces_an_item_that_became_overdue(
    scheduler: Scheduler, unique: str
) -> None:
    a = f"jira:A-{unique}"
    await scheduler.feed([item(a, 1, target=1)])
    ticking = timer(scheduler, "solo")

    assert await ticking.tick(T0 + timedelta(days=1)) == 0
    assert await ticking.tick(T0 + timedelta(days=3)) == 1
    [announced] = scheduler.publisher.risk(a)
    assert announced.level == "off_track"
    assert announced.reasons[0].code == "item_overdue"
