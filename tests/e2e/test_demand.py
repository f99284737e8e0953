"""Feedback crosses ingest -> feedback -> scheduler: demand on a blocked item raises its risk
score and its blocker's, and the scheduler's /risk and /items show who is waiting."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from services.cli.demo import scenario
from services.cli.embedded import free_port
from services.cli.main import _run_demo, app
from services.cli.stack import SERVICES, Stack, start_stack
from shared.standard_webhooks import signed_headers
from tests.support.streams import wait_until

pytestmark = pytest.mark.e2e

GITHUB_SECRET = "e2e-github-secret"
STANDARD_SECRET = "whsec_ZTJlLWRlbWFuZC1zdGFuZGFyZC1rZXk="
# The demo's off-track checkout (web#7) blocks a launch item that customers ask for.
BLOCKED, BLOCKER = "standard:launch-banner", "github:acme/web#7"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    env = {k: v for k, v in os.environ.items() if k not in ("NATS_URL", "MONGODB_URL")}
    env.update(
        {
            "INGEST_GITHUB_SECRET": GITHUB_SECRET,
            "INGEST_STANDARD_SECRET": STANDARD_SECRET,
            "SCHEDULER_RECHECK_INTERVAL_SECONDS": "3600",
        }
    )
    data_dir: Path = tmp_path_factory.mktemp("demand-stack")
    running = start_stack(data_dir, env=env, ports={name: free_port() for name in SERVICES})
    try:
        yield running
    finally:
        running.stop()


def post_standard(stack: Stack, message_id: str, kind: str, data: dict[str, Any]) -> None:
    data = {**data, "source_updated_at": datetime.now(UTC).isoformat()}
    body = json.dumps({"type": kind, "data": data}).encode()
    headers = signed_headers(STANDARD_SECRET, message_id, int(time.time()), body)
    headers["content-type"] = "application/json"
    response = httpx.post(
        f"{stack.urls['ingest']}/webhooks/standard", content=body, headers=headers
    )
    assert response.status_code == 202, response.text


def post_feedback(stack: Stack, feedback_id: str, email: str, item_id: str) -> None:
    data = {"feedback_id": feedback_id, "customer_id": f"email:{email}", "item_ids": [item_id]}
    post_standard(stack, f"msg-{feedback_id}", "feedback.received", {**data, "kind": "ticket"})


def post_work(stack: Stack) -> None:
    for delivery in scenario(date.today()):
        body, headers = delivery.signed(GITHUB_SECRET)
        url = f"{stack.urls['ingest']}/webhooks/github"
        assert httpx.post(url, content=body, headers=headers).status_code == 202
    target = (date.today() + timedelta(days=20)).isoformat()
    banner = {"item_id": BLOCKED, "title": "Launch banner", "status": "todo", "target": target}
    post_standard(stack, "msg-banner", "item.changed", banner)
    edge = {"blocker_id": BLOCKER, "blocked_id": BLOCKED}
    post_standard(stack, "msg-banner-edge", "dependency.added", edge)


def risk_rows(stack: Stack) -> dict[str, dict[str, Any]]:
    rows = httpx.get(f"{stack.urls['scheduler']}/risk", headers=stack.auth).json()
    return {row["item_id"]: row for row in rows}


def test_feedback_on_a_blocked_item_raises_its_score_and_its_blockers(stack: Stack) -> None:
    post_work(stack)

    def both_ranked() -> dict[str, dict[str, Any]] | None:
        rows = risk_rows(stack)
        ready = {BLOCKED, BLOCKER} <= set(rows) and rows[BLOCKED]["level"] != "on_track"
        return rows if ready else None

    before = wait_until(both_ranked)
    assert before[BLOCKED]["demand"]["customers"] == 0

    # Three people of two organisations; two from one domain count as one organisation.
    for number, email in enumerate(("ann@acme.test", "bo@acme.test", "cy@globex.test")):
        post_feedback(stack, f"standard:ticket/{number}", email, BLOCKED)

    def raised() -> dict[str, dict[str, Any]] | None:
        rows = risk_rows(stack)
        return rows if rows[BLOCKED]["demand"]["customers"] == 3 else None

    after = wait_until(raised)
    assert after[BLOCKED]["demand"] == {
        "customers": 3,
        "organisations": 2,
        "arr_waiting": None,
        "weight": 2.0,
    }
    assert after[BLOCKED]["score"] > before[BLOCKED]["score"]
    assert after[BLOCKER]["score"] > before[BLOCKER]["score"]
    # Demand is the item's own: the blocker's score carries it, its row does not claim it.
    assert after[BLOCKER]["demand"]["customers"] == 0

    item = httpx.get(f"{stack.urls['scheduler']}/items/{BLOCKED}", headers=stack.auth).json()
    assert item["demand"]["organisations"] == 2
    assert item["demand"]["weight"] == 2.0

    ranked = httpx.get(f"{stack.urls['feedback']}/demand", headers=stack.auth).json()
    assert ranked[0]["item_id"] == BLOCKED
    assert ranked[0]["customers"] == 3
    pieces = httpx.get(
        f"{stack.urls['feedback']}/items/{BLOCKED}/feedback", headers=stack.auth
    ).json()
    assert sorted(p["organisation_id"] for p in pieces) == [
        "domain:acme.test",
        "domain:acme.test",
        "domain:globex.test",
    ]


def test_a_manual_unlink_lowers_the_demand_the_scheduler_shows(stack: Stack) -> None:
    feedback = stack.urls["feedback"]
    response = httpx.delete(
        f"{feedback}/links",
        params={"feedback_id": "standard:ticket/2", "item_id": BLOCKED},
        headers=stack.auth,
    )
    assert response.status_code == 200, response.text

    def lowered_demand() -> dict[str, Any] | None:
        demand: dict[str, Any] = risk_rows(stack)[BLOCKED]["demand"]
        return demand if demand["customers"] == 2 else None

    lowered = wait_until(lowered_demand)
    assert lowered["organisations"] == 1
    nope = {"feedback_id": "nope", "item_id": BLOCKED}
    unknown = httpx.post(f"{feedback}/links", json=nope, headers=stack.auth)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")


def test_the_cli_shows_demand_and_an_items_feedback_and_links(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLIPSTREAM_TOKEN", stack.admin_token)
    feedback = ["--feedback-url", stack.urls["feedback"]]
    runner = CliRunner()
    ranked = runner.invoke(app, ["demand", *feedback])
    assert ranked.exit_code == 0, ranked.output
    assert BLOCKED in ranked.output
    relinked = runner.invoke(app, ["link", "standard:ticket/2", BLOCKED, *feedback])
    assert relinked.exit_code == 0, relinked.output
    pieces = runner.invoke(app, ["feedback", BLOCKED, *feedback])
    assert pieces.exit_code == 0, pieces.output
    assert "domain:globex.test" in pieces.output
    assert "manual" in pieces.output
    missing = runner.invoke(app, ["link", "nope", BLOCKED, "--remove", *feedback])
    assert missing.exit_code == 1
    assert "Unknown feedback" in missing.output


def test_the_demo_prints_who_waits_beside_the_risk(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    # Last in this module: the demo's customers ask for the checkout (web#7) itself.
    secrets = (GITHUB_SECRET, STANDARD_SECRET)
    _run_demo(stack.urls["ingest"], stack.urls["scheduler"], secrets, stack.admin_token)
    table = capsys.readouterr().out
    checkout = next(line for line in table.splitlines() if line.startswith(BLOCKER))
    assert "3 cust/2 org" in checkout
