"""A release slipping crosses ingest -> scheduler: signed GitHub milestone and issues webhooks
in, ``risk.release.changed.v1`` on the RISK stream out, once past the date and once back."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.cli.demo import GitHubDelivery, issue, milestone, repository
from services.cli.stack import Stack
from shared.events import ReleaseRiskChangedV1
from tests.support.stacks import post_github, running_stack
from tests.support.streams import read_stream, wait_until

pytestmark = pytest.mark.e2e

GITHUB_SECRET = "e2e-release-secret"
SHOP, CORE = "acme/shop", "acme/core"
RELEASE = f"github:{SHOP}/milestone/1"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    env = {"INGEST_GITHUB_SECRET": GITHUB_SECRET, "SCHEDULER_RECHECK_INTERVAL_SECONDS": "3600"}
    data_dir: Path = tmp_path_factory.mktemp("release-stack")
    with running_stack(data_dir, env) as running:
        yield running


def post(stack: Stack, deliveries: list[GitHubDelivery]) -> None:
    post_github(stack, deliveries, GITHUB_SECRET)


def launch(today: date, now: datetime) -> tuple[list[GitHubDelivery], dict[str, Any]]:
    """The shop's launch (due in 10 days) waits on core work due in 20."""
    launch_ms = milestone(SHOP, 1, "Shop launch", today + timedelta(days=10), now)
    core_ms = milestone(CORE, 2, "Core v3", today + timedelta(days=20), now)
    cart = issue(SHOP, 1, "Cart", now, launch_ms, "ana")
    engine = issue(CORE, 2, "Pricing engine", now, core_ms, "bo")
    deliveries = [
        GitHubDelivery("milestone", {"action": "created", "milestone": launch_ms,
                                     "repository": repository(SHOP)}),
        GitHubDelivery("issues", {"action": "opened", "issue": cart,
                                  "repository": repository(SHOP)}),
        GitHubDelivery("issues", {"action": "opened", "issue": engine,
                                  "repository": repository(CORE)}),
        GitHubDelivery("issue_dependencies", {
            "action": "blocked_by_added", "blocked_issue": cart, "blocking_issue": engine,
            "blocked_issue_id": 1, "blocking_issue_id": 2, "repository": repository(SHOP),
        }),
    ]  # fmt: skip
    return deliveries, launch_ms


def release_events(stack: Stack) -> list[ReleaseRiskChangedV1]:
    messages = asyncio.run(read_stream(stack.nats_url, ReleaseRiskChangedV1.subject))
    events = [ReleaseRiskChangedV1.model_validate(json.loads(m.data)) for m in messages]
    return [e for e in events if e.release_id == RELEASE]


def test_release_slip_and_recovery_each_appear_once_on_the_bus(stack: Stack) -> None:
    today, now = date.today(), datetime.now(UTC).replace(microsecond=0)
    deliveries, launch_ms = launch(today, now)
    post(stack, deliveries)

    [slipped] = wait_until(lambda: release_events(stack) or None, timeout=60)
    assert slipped.slipping
    assert (slipped.target, slipped.forecast) == (
        today + timedelta(days=10),
        today + timedelta(days=20),
    )
    assert slipped.slip_days == 10
    assert slipped.threatened_by == (f"github:{SHOP}#1",)
    assert slipped.titles == {f"github:{SHOP}#1": "Cart"}
    assert slipped.name == "Shop launch"

    post(stack, deliveries)  # the same webhooks again: no new crossing
    moved = {**launch_ms, "due_on": f"{today + timedelta(days=25)}T07:00:00Z",
             "updated_at": (now + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}  # fmt: skip
    post(stack, [GitHubDelivery("milestone", {"action": "edited", "milestone": moved,
                                              "repository": repository(SHOP)})])  # fmt: skip

    events = wait_until(lambda: found if len(found := release_events(stack)) >= 2 else None)
    assert [(e.slipping, e.forecast) for e in events] == [
        (True, today + timedelta(days=20)),
        (False, today + timedelta(days=20)),
    ]
    assert events[1].target == today + timedelta(days=25)
