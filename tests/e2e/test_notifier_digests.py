"""Across ingest, scheduler and notifier: a root slip over 30 dependants is 3 messages.

Three people own ten dependants each; one root issue blocks all thirty. Each dependant turning
red is its own risk change, and each owner gets exactly one signed digest listing their ten.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from services.cli.demo import GitHubDelivery, issue, milestone, repository
from services.cli.stack import Stack
from shared.standard_webhooks import signature_matches
from tests.e2e.test_pipeline import GITHUB_SECRET
from tests.support.receivers import Sink, http_sink
from tests.support.stacks import running_stack
from tests.support.streams import wait_until

pytestmark = pytest.mark.e2e

SECRET = "whsec_ZTJlLWRpZ2VzdC1zZWNyZXQ="
OWNERS = ("ada", "bob", "cyd")
DIGEST_SECONDS = 15  # long enough for all thirty changes to land in one window on a busy box


@pytest.fixture(scope="module")
def sink() -> Iterator[Sink]:
    with http_sink() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    env = {
        "INGEST_GITHUB_SECRET": GITHUB_SECRET,
        "NOTIFIER_POLL_SECONDS": "0.2",
        "SCHEDULER_RECHECK_INTERVAL_SECONDS": "3600",
    }
    data_dir: Path = tmp_path_factory.mktemp("digest-stack")
    with running_stack(data_dir, env) as running:
        yield running


def opened(repo: str, body: dict[str, object]) -> GitHubDelivery:
    return GitHubDelivery(
        "issues", {"action": "opened", "issue": body, "repository": repository(repo)}
    )


def root_slip(today: date) -> list[GitHubDelivery]:
    now = datetime.now(UTC).replace(microsecond=0)
    launch = milestone("acme/web", 1, "Launch", today + timedelta(days=14), now)
    later = milestone("acme/api", 2, "Platform", today + timedelta(days=45), now)
    root = issue("acme/api", 1, "Platform rewrite", now, later)
    deliveries = [opened("acme/api", root)]
    for n in range(100, 130):
        deliveries.append(opened("acme/web", issue("acme/web", n, f"Dependant {n}", now, launch,
                                                   OWNERS[n % 3])))  # fmt: skip
    for n in range(100, 130):
        dependant = issue("acme/web", n, f"Dependant {n}", now, launch, OWNERS[n % 3])
        body = {"action": "blocked_by_added", "blocked_issue": dependant, "blocking_issue": root,
                "blocked_issue_id": n, "blocking_issue_id": 1,
                "repository": repository("acme/web")}  # fmt: skip
        deliveries.append(GitHubDelivery("issue_dependencies", body))
    return deliveries


def test_a_root_slip_over_30_dependants_sends_exactly_one_digest_per_owner(
    stack: Stack, sink: Sink
) -> None:
    notifier = stack.urls["notifier"]
    with httpx.Client(timeout=10, headers=stack.auth) as client:
        for person in OWNERS:
            channels = {"webhook": {"url": f"{sink.url}/{person}", "secret": SECRET}}
            body = {"name": person, "identities": [f"github:{person}"], "channels": channels}
            assert client.put(f"{notifier}/people/{person}", json=body).status_code == 201
            subscription = {"person_id": person, "channel": "webhook",
                            "filter": {"owner": f"github:{person}"},
                            "digest_seconds": DIGEST_SECONDS}  # fmt: skip
            assert client.post(f"{notifier}/subscriptions", json=subscription).status_code == 201
        for delivery in root_slip(date.today()):
            raw, headers = delivery.signed(GITHUB_SECRET)
            response = client.post(f"{stack.urls['ingest']}/webhooks/github", content=raw,
                                   headers=headers)  # fmt: skip
            assert response.status_code == 202, response.text

    received = wait_until(lambda: sink.snapshot() if len(sink.snapshot()) >= 3 else None, 90)
    time.sleep(DIGEST_SECONDS + 2)  # anything else would have arrived by now
    received = sink.snapshot()
    assert sorted(r.path for r in received) == ["/ada", "/bob", "/cyd"]
    for request in received:
        person = request.path.strip("/")
        assert signature_matches(
            SECRET, request.headers["webhook-id"], int(request.headers["webhook-timestamp"]),
            request.body, request.headers["webhook-signature"],
        )  # fmt: skip
        items = json.loads(request.body)["data"]["items"]
        expected = {f"github:acme/web#{n}" for n in range(100, 130) if OWNERS[n % 3] == person}
        assert {i["item_id"] for i in items} == expected
