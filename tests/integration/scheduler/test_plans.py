"""Project date fields (schedule changes) merged into items, whichever arrives first."""

from __future__ import annotations

from typing import Any

import pytest

from services.scheduler.documents import from_bson_date
from tests.integration.scheduler.conftest import Scheduler
from tests.unit.scheduler_app.support import day, edge, item, schedule

pytestmark = pytest.mark.integration


def issue(u: str, minute: int = 1, target: int | None = 40, **fields: Any) -> Any:
    return item(f"github:acme/api#{u}", minute, target=target, node_id=f"I_{u}", **fields)


def planned_target(scheduler: Scheduler, u: str) -> Any:
    found = scheduler.live.portfolio.item(f"github:acme/api#{u}")
    assert found is not None
    return found.target


async def test_schedule_before_its_item_waits_for_the_node_id(
    scheduler: Scheduler, unique: str
) -> None:
    await scheduler.feed([schedule(f"github-node:I_{unique}", 5, start=2, target=12)])
    await scheduler.feed([issue(unique)])

    assert planned_target(scheduler, unique) == day(12)
    stored = await scheduler.document("items", f"github:acme/api#{unique}")
    assert stored is not None
    assert (stored["node_id"], from_bson_date(stored["target"])) == (f"I_{unique}", day(40))


async def test_schedule_after_its_item_overrides_the_milestone_target(
    scheduler: Scheduler, unique: str
) -> None:
    await scheduler.feed([issue(unique)])
    await scheduler.feed([schedule(f"github-node:I_{unique}", 5, target=12)])

    assert planned_target(scheduler, unique) == day(12)
    assessment = await scheduler.document("assessments", f"github:acme/api#{unique}")
    assert assessment is not None
    assert from_bson_date(assessment["target"]) == day(12)


async def test_older_schedule_after_newer_changes_nothing(
    scheduler: Scheduler, unique: str
) -> None:
    ref = f"github-node:I_{unique}"
    await scheduler.feed([issue(unique), schedule(ref, 5, target=12)])
    await scheduler.feed([schedule(ref, 3, target=30)])

    assert planned_target(scheduler, unique) == day(12)
    stored = await scheduler.document("schedules", f"{ref} target")
    assert stored is not None
    assert from_bson_date(stored["date"]) == day(12)


async def test_cleared_field_gives_the_item_its_own_date_back(
    scheduler: Scheduler, unique: str
) -> None:
    ref = f"github-node:I_{unique}"
    await scheduler.feed([issue(unique), schedule(ref, 5, target=12)])
    await scheduler.feed([schedule(ref, 6, None, None, "target")])

    assert planned_target(scheduler, unique) == day(40)


async def test_merged_target_puts_the_item_behind_its_blocker(
    scheduler: Scheduler, unique: str
) -> None:
    a, b = f"github:acme/api#{unique}", f"jira:B-{unique}"
    await scheduler.feed([issue(unique), item(b, 1, target=30), edge(b, a, 2)])
    assert scheduler.live.portfolio.assessment(a).level == "on_track"  # type: ignore[union-attr]

    await scheduler.feed([schedule(f"github-node:I_{unique}", 5, target=10)])

    assessment = await scheduler.document("assessments", a)
    assert assessment is not None
    assert (assessment["level"], assessment["chain"]) == ("off_track", [a, b])
    assert [r.level for r in scheduler.publisher.risk(a)] == ["off_track"]


async def test_restart_loads_items_with_their_plans(scheduler: Scheduler, unique: str) -> None:
    await scheduler.feed([schedule(f"github-node:I_{unique}", 5, start=2, target=12)])
    await scheduler.feed([issue(unique)])

    restarted = Scheduler(scheduler.db)
    await restarted.start()

    assert planned_target(restarted, unique) == day(12)
    found = restarted.live.portfolio.item(f"github:acme/api#{unique}")
    assert found is not None
    assert found.start == day(2)
