"""Jira links named by numeric id, and issues that move project, against real MongoDB."""

from __future__ import annotations

from typing import Any

import pytest

from services.scheduler.views import RiskViews
from tests.integration.scheduler.conftest import Scheduler
from tests.unit.scheduler_app.support import edge, item

pytestmark = pytest.mark.integration


def issue(key: str, numeric: str, minute: int = 1, target: int = 30) -> Any:
    return item(f"jira:{key}", minute, target=target, node_id=numeric)


def chain(scheduler: Scheduler, item_id: str) -> tuple[str, ...]:
    assessment = scheduler.live.portfolio.assessment(item_id)
    assert assessment is not None
    return tuple(assessment.chain)


async def restarted(scheduler: Scheduler) -> Scheduler:
    again = Scheduler(scheduler.db)
    await again.start()
    return again


@pytest.mark.parametrize("link_first", [True, False])
async def test_link_by_numeric_id_in_either_order_ends_with_the_same_edge(
    scheduler: Scheduler, unique: str, link_first: bool
) -> None:
    blocker, blocked = f"PAY-{unique}", f"WEB-{unique}"
    issues = [issue(blocker, f"1{unique}", target=30), issue(blocked, f"2{unique}", target=10)]
    link = edge(f"jira-id:1{unique}", f"jira-id:2{unique}", 2)
    for batch in ([link], issues) if link_first else (issues, [link]):
        await scheduler.feed(batch)

    expected = (f"jira:{blocked}", f"jira:{blocker}")
    assert chain(scheduler, f"jira:{blocked}") == expected
    assert scheduler.live.portfolio.item(f"jira-id:1{unique}") is None  # no dangling node
    assert chain(await restarted(scheduler), f"jira:{blocked}") == expected


async def test_link_event_and_changelog_are_one_edge_and_a_ui_delete_removes_it(
    scheduler: Scheduler, unique: str
) -> None:
    a, b = f"PAY-{unique}", f"WEB-{unique}"
    await scheduler.feed([issue(a, f"1{unique}", target=30), issue(b, f"2{unique}", target=10)])
    await scheduler.feed([edge(f"jira-id:1{unique}", f"jira-id:2{unique}", 2)])
    await scheduler.feed([edge(f"jira:{a}", f"jira:{b}", 3)])  # the changelog says it too
    assert chain(scheduler, f"jira:{b}") == (f"jira:{b}", f"jira:{a}")

    await scheduler.feed([edge(f"jira-id:1{unique}", f"jira-id:2{unique}", 4, present=False)])
    assert chain(scheduler, f"jira:{b}") == (f"jira:{b}",)
    assert chain(await restarted(scheduler), f"jira:{b}") == (f"jira:{b}",)


async def test_a_project_move_keeps_the_chain_live_after_restart_and_in_rebuild(
    scheduler: Scheduler, unique: str
) -> None:
    web, old, new = f"github:acme/web#{unique}", f"jira:PAY-{unique}", f"jira:OPS-{unique}"
    await scheduler.feed([item(web, 1, target=10), issue(f"PAY-{unique}", f"9{unique}")])
    await scheduler.feed([edge(old, web, 2)])  # written as a URL to PAY-12 in the GitHub issue
    assert chain(scheduler, web) == (web, old)

    await scheduler.feed([issue(f"OPS-{unique}", f"9{unique}", minute=5)])  # moved: new key
    assert chain(scheduler, web) == (web, new)
    assert scheduler.live.portfolio.item(old) is None
    assert await scheduler.document("assessments", old) is None
    assert chain(await restarted(scheduler), web) == (web, new)  # test_rebuild: the same there


async def test_the_old_key_answers_with_the_moved_item(scheduler: Scheduler, unique: str) -> None:
    await scheduler.feed([issue(f"PAY-{unique}", f"9{unique}")])
    await scheduler.feed([issue(f"OPS-{unique}", f"9{unique}", minute=5)])
    found = await RiskViews(scheduler.db).one(f"jira:PAY-{unique}")
    assert found is not None
    assert found["item_id"] == f"jira:OPS-{unique}"
