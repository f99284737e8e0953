"""Feedback crosses ingest -> feedback -> scheduler: demand on a blocked item raises its risk
score and its blocker's, and the scheduler's /risk and /items show who is waiting. Work
finishing crosses ingest -> feedback -> the bus: the closable loop names who waited."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import MongoClient
from typer.testing import CliRunner

from services.cli.demo import scenario
from services.cli.main import _run_demo, app
from services.cli.stack import Stack
from shared.standard_webhooks import signed_headers
from tests.support.receivers import Sink, http_sink
from tests.support.stacks import post_github, running_stack
from tests.support.streams import read_stream, wait_until

pytestmark = pytest.mark.e2e

GITHUB_SECRET = "e2e-github-secret"
STANDARD_SECRET = "whsec_ZTJlLWRlbWFuZC1zdGFuZGFyZC1rZXk="
ZENDESK_SECRET = "e2e-zendesk-secret"
NOTIFY_SECRET = "whsec_ZTJlLWRlbWFuZC1ub3RpZmllci1rZXk="
TAG_RULES = json.dumps({"csv-export": ["standard:export-csv"]})
# Initech is in the organisations file with an account owner; the demand tests' customers
# (acme.test, globex.test) are not, so their organisations stay derived from the domain.
ORGANISATIONS = (
    "name,id,domains,tier,arr,owner\nInitech,org:initech,initech.test,gold,120000,kim@vendor.test\n"
)
# The demo's off-track checkout (web#7) blocks a launch item that customers ask for.
BLOCKED, BLOCKER = "standard:launch-banner", "github:acme/web#7"


@pytest.fixture(scope="module")
def webhooks() -> Iterator[Sink]:
    with http_sink() as sink:
        yield sink


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, webhooks: Sink) -> Iterator[Stack]:
    env = {
        "INGEST_GITHUB_SECRET": GITHUB_SECRET,
        "INGEST_STANDARD_SECRET": STANDARD_SECRET,
        "SCHEDULER_RECHECK_INTERVAL_SECONDS": "3600",
        "NOTIFIER_WEBHOOK_URL": f"{webhooks.url}/hooks/risk",
        "NOTIFIER_WEBHOOK_SECRET": NOTIFY_SECRET,
    }
    data_dir: Path = tmp_path_factory.mktemp("demand-stack")
    organisations = data_dir / "organisations.csv"
    organisations.write_text(ORGANISATIONS)
    env["INGEST_ZENDESK_SECRET"] = ZENDESK_SECRET
    env["FEEDBACK_ORGANISATIONS"] = str(organisations)
    env["FEEDBACK_TAG_RULES"] = TAG_RULES
    with running_stack(data_dir, env) as running:
        yield running


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
    post_github(stack, scenario(date.today()), GITHUB_SECRET)
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


def test_the_notification_of_a_slip_says_who_waits_on_the_item(
    stack: Stack, webhooks: Sink
) -> None:
    # Crosses feedback -> scheduler -> notifier -> a customer's webhook receiver.
    asked = "standard:asked-for-export"
    planned = {"item_id": asked, "title": "CSV export", "status": "in_progress"}
    later = (date.today() + timedelta(days=30)).isoformat()
    post_standard(stack, "msg-asked-planned", "item.changed", {**planned, "target": later})
    for number, email in enumerate(("dee@acme.test", "ed@acme.test", "flo@globex.test")):
        post_feedback(stack, f"standard:ticket/asked-{number}", email, asked)

    def scheduler_knows_who_waits() -> dict[str, Any] | None:
        found = httpx.get(f"{stack.urls['scheduler']}/items/{asked}", headers=stack.auth)
        ready = found.status_code == 200 and found.json()["demand"]["customers"] == 3
        return found.json() if ready else None

    wait_until(scheduler_knows_who_waits)
    past = (date.today() - timedelta(days=5)).isoformat()
    post_standard(stack, "msg-asked-slipped", "item.changed", {**planned, "target": past})

    def told() -> dict[str, Any] | None:
        for request in webhooks.snapshot():
            data = json.loads(request.body)["data"]
            if data.get("item_id") == asked and data["level"] == "off_track":
                return dict(data)
        return None

    data = wait_until(told)
    assert (data["customers"], data["organisations"]) == (3, 2)
    assert data["title"] == "CSV export"
    # The notification log says what each message said, as `slipstream notifications` shows.
    notifier = ["--notifier-url", stack.urls["notifier"]]
    logged = CliRunner(env={"SLIPSTREAM_TOKEN": stack.admin_token}).invoke(
        app, ["notifications", "--status", "sent", *notifier]
    )
    assert logged.exit_code == 0, logged.output
    assert "CSV export is off track" in logged.output


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
    assert "Launch banner" in ranked.output, "each item by its title too"
    relinked = runner.invoke(app, ["link", "standard:ticket/2", BLOCKED, *feedback])
    assert relinked.exit_code == 0, relinked.output
    pieces = runner.invoke(app, ["feedback", BLOCKED, *feedback])
    assert pieces.exit_code == 0, pieces.output
    assert "domain:globex.test" in pieces.output
    assert "manual" in pieces.output
    filtered = runner.invoke(app, ["demand", "--team", "nobody", *feedback])
    assert filtered.exit_code == 0, filtered.output
    assert BLOCKED not in filtered.output
    missing = runner.invoke(app, ["link", "nope", BLOCKED, "--remove", *feedback])
    assert missing.exit_code == 1
    assert "Unknown feedback" in missing.output


def post_zendesk(stack: Stack, ticket: dict[str, Any], item_ids: list[str]) -> None:
    body = json.dumps({"ticket": ticket, "item_ids": item_ids}).encode()
    stamp = datetime.now(UTC).isoformat()
    digest = hmac.new(ZENDESK_SECRET.encode(), stamp.encode() + body, hashlib.sha256).digest()
    headers = {
        "content-type": "application/json",
        "x-zendesk-webhook-signature": base64.b64encode(digest).decode(),
        "x-zendesk-webhook-signature-timestamp": stamp,
    }
    url = f"{stack.urls['ingest']}/webhooks/zendesk"
    response = httpx.post(url, content=body, headers=headers)
    assert response.status_code == 202, response.text


def closable_loops(stack: Stack, item_id: str) -> list[dict[str, Any]]:
    messages = asyncio.run(read_stream(stack.nats_url, "feedback.loop.closable.v1"))
    return [e for e in (json.loads(m.data) for m in messages) if e["item_id"] == item_id]


def test_work_finishing_puts_a_closable_loop_naming_its_customers_on_the_bus(
    stack: Stack,
) -> None:
    export, now = "standard:export-csv", datetime.now(UTC)
    ticket = {
        "id": 4711, "subject": "CSV export please", "url": "https://help.test/tickets/4711",
        "updated_at": now.isoformat(), "priority": "urgent", "tags": ["csv-export"],
        "requester": {"id": 9, "name": "Ann", "email": "ann@initech.test"},
    }  # fmt: skip
    post_zendesk(stack, ticket, [])  # linked by the tag rule alone
    post_feedback(stack, "standard:ticket/export-1", "cy@globex.test", export)
    item = {"item_id": export, "title": "CSV export", "status": "in_progress"}
    post_standard(stack, "msg-export-1", "item.changed", item)
    feedback = stack.urls["feedback"]

    def both_waiting() -> list[dict[str, Any]] | None:
        response = httpx.get(f"{feedback}/items/{export}/feedback", headers=stack.auth)
        pieces: list[dict[str, Any]] = response.json() if response.is_success else []
        return pieces if len(pieces) == 2 else None

    pieces = {p["feedback_id"]: p for p in wait_until(both_waiting)}
    assert {p["state"] for p in pieces.values()} == {"waiting"}
    zendesk = pieces["zendesk:ticket/4711"]
    assert (zendesk["linked_by"], zendesk["importance"]) == ("tag_rule", 3)
    assert pieces["standard:ticket/export-1"]["linked_by"] == "explicit"
    post_standard(stack, "msg-export-2", "item.changed", {**item, "status": "done"})

    [loop] = wait_until(lambda: closable_loops(stack, export) or None)
    assert (loop["because"], loop["title"]) == ("done", "CSV export")
    by_customer = {c["customer_id"]: c for c in loop["customers"]}
    assert set(by_customer) == {"email:ann@initech.test", "email:cy@globex.test"}
    ann = by_customer["email:ann@initech.test"]
    assert (ann["organisation_id"], ann["account_owner"]) == ("org:initech", "kim@vendor.test")
    assert ann["feedback_ids"] == ["zendesk:ticket/4711"]
    assert ann["urls"] == ["https://help.test/tickets/4711"]

    def all_told() -> list[dict[str, Any]] | None:
        pieces: list[dict[str, Any]] = httpx.get(
            f"{feedback}/items/{export}/feedback", headers=stack.auth
        ).json()
        return pieces if {p["state"] for p in pieces} == {"told"} else None

    wait_until(all_told)
    # A later edit closes nothing twice; its release shipping is a closure of its own, and
    # the WORK consumer handles events in order, so once that one is out the edit was seen.
    shipped = {**item, "status": "done", "title": "CSV export v2", "release_id": "standard:r7"}
    post_standard(stack, "msg-export-3", "item.changed", shipped)
    release = {"release_id": "standard:r7", "name": "7", "state": "released"}
    post_standard(stack, "msg-r7", "release.changed", release)

    def released() -> list[dict[str, Any]] | None:
        loops = closable_loops(stack, export)
        return loops if any(e["because"] == "released" for e in loops) else None

    loops = wait_until(released)
    assert sorted((e["because"], e["release_id"]) for e in loops) == [
        ("done", None),
        ("released", "standard:r7"),
    ]

    # A customer asking after it shipped is told then: one more announcement, naming only them.
    post_feedback(stack, "standard:ticket/export-late", "di@umbrella.test", export)
    late = wait_until(lambda: closable_loops(stack, export)[2:] or None)
    assert [[c["customer_id"] for c in e["customers"]] for e in late] == [
        ["email:di@umbrella.test"]
    ]
    wait_until(all_told)


def test_a_burst_of_feedback_on_a_quiet_item_puts_one_surge_on_the_bus(stack: Stack) -> None:
    wanted = "standard:dark-mode"
    dark = {"item_id": wanted, "title": "Dark mode", "status": "todo"}
    post_standard(stack, "msg-dark", "item.changed", dark)
    with MongoClient(stack.mongodb_url) as client:  # feedback has heard of it, and its title
        wait_until(lambda: client.slipstream.feedback_items.find_one({"_id": wanted}))
    for n in range(5):  # FEEDBACK_SURGE_MIN_RECENT's default, against no baseline at all
        post_feedback(stack, f"standard:ticket/dark-{n}", f"p{n}@co{n}.test", wanted)

    def surges() -> list[dict[str, Any]] | None:
        messages = asyncio.run(read_stream(stack.nats_url, "feedback.demand.surged.v1"))
        found = [e for e in (json.loads(m.data) for m in messages) if e["item_id"] == wanted]
        return found or None

    [surge] = wait_until(surges)
    assert (surge["recent"], surge["customers"], surge["organisations"]) == (5, 5, 5)
    assert surge["title"] == "Dark mode", "named for the message it becomes"
    rows = httpx.get(
        f"{stack.urls['feedback']}/demand", params={"limit": 500}, headers=stack.auth
    ).json()
    trend = next(r["trend"] for r in rows if r["item_id"] == wanted)
    assert (trend["recent"], trend["surging"], trend["per_window"][-1]) == (5, True, 5)


def test_rebuilding_feedback_from_the_streams_matches_what_it_holds(stack: Stack) -> None:
    urls = ["--nats-url", stack.nats_url, "--mongodb-url", stack.mongodb_url]
    # The rebuild weighs with the service's own settings, its organisations file included.
    env = {
        "FEEDBACK_ORGANISATIONS": str(stack.data_dir / "organisations.csv"),
        "FEEDBACK_TAG_RULES": TAG_RULES,
    }
    checked = CliRunner(env=env).invoke(app, ["rebuild", "feedback", "--check", *urls])
    assert checked.exit_code == 0, checked.output
    assert "identical to the live projections" in checked.output


def test_the_demo_prints_who_waits_beside_the_risk(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    # Last in this module: the demo's customers ask for the checkout (web#7) itself.
    secrets = (GITHUB_SECRET, STANDARD_SECRET)
    _run_demo(stack.urls["ingest"], stack.urls["scheduler"], secrets, stack.admin_token)
    table = capsys.readouterr().out
    checkout = next(line for line in table.splitlines() if line.startswith(BLOCKER))
    assert "3 cust/2 org" in checkout
