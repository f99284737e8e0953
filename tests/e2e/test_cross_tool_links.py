"""A GitHub -> Jira -> Jira chain written as URLs plus a link made in Jira's UI, end to end.

Through the stack started as `slipstream up` starts it: signed deliveries in, ``GET /risk``
out, with the forecast a person would compute by hand.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.cli.demo import issue, milestone, repository
from services.cli.stack import Stack
from tests.support.stacks import running_stack
from tests.support.streams import wait_until

pytestmark = pytest.mark.e2e

SECRET = "e2e-links-secret"
SITE = "https://northwind.atlassian.net"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    env = {"INGEST_GITHUB_SECRET": SECRET, "INGEST_JIRA_SECRET": SECRET}
    env["SCHEDULER_RECHECK_INTERVAL_SECONDS"] = "3600"
    data_dir: Path = tmp_path_factory.mktemp("links")
    with running_stack(data_dir, env) as running:
        yield running


def jira_issue(key: str, numeric: int, due: date, description: str, now: datetime) -> bytes:
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    fields = {
        "summary": f"Work {key}",
        "status": {"name": "In Progress", "statusCategory": {"key": "indeterminate"}},
        "updated": stamp,
        "duedate": due.isoformat(),
        "project": {"key": key.split("-")[0]},
        "issuelinks": [],
        "description": description,
    }
    issue = {"id": str(numeric), "key": key, "self": f"{SITE}/rest/api/2/issue/{numeric}"}
    body = {"webhookEvent": "jira:issue_created", "timestamp": int(now.timestamp() * 1000)}
    return json.dumps(body | {"issue": issue | {"fields": fields}}).encode()


def ui_link(source: int, destination: int, now: datetime) -> bytes:
    """What Jira sends when someone adds "blocks" in the UI: numeric ids only."""
    link = {
        "id": 10656,
        "sourceIssueId": source,
        "destinationIssueId": destination,
        "issueLinkType": {"name": "Blocks", "outwardName": "blocks", "inwardName": "is blocked by"},
    }
    stamp = int(now.timestamp() * 1000)
    return json.dumps(
        {"webhookEvent": "issuelink_created", "timestamp": stamp, "issueLink": link}
    ).encode()


def post(stack: Stack, source: str, body: bytes, headers: dict[str, str]) -> None:
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    signature = "x-hub-signature-256" if source == "github" else "x-hub-signature"
    headers = headers | {"content-type": "application/json", signature: f"sha256={digest}"}
    url = f"{stack.urls['ingest']}/webhooks/{source}"
    response = httpx.post(url, content=body, headers=headers, timeout=10)
    assert response.status_code == 202, response.text


def checkout(today: date, now: datetime) -> tuple[bytes, dict[str, str]]:
    web = "acme/web"
    launch = milestone(web, 3, "Checkout launch", today + timedelta(days=14), now)
    body: dict[str, Any] = issue(web, 21, "Checkout redesign", now, launch)
    body["body"] = f"Blocked by {SITE}/browse/PAY-12."
    payload = {"action": "opened", "issue": body, "repository": repository(web)}
    return json.dumps(payload).encode(), {"x-github-event": "issues", "x-github-delivery": "d-21"}


def test_url_chain_and_ui_link_give_the_forecast_a_person_would(stack: Stack) -> None:
    today, now = date.today(), datetime.now(UTC).replace(microsecond=0)
    due = {key: today + timedelta(days=days) for key, days in (("12", 20), ("13", 30), ("14", 40))}
    body, headers = checkout(today, now)
    post(stack, "github", body, headers)
    on_board = f"{SITE}/jira/software/projects/PAY/boards/1?selectedIssue=PAY-13"
    post(stack, "jira", jira_issue("PAY-12", 10012, due["12"], f"Depends on {on_board}", now), {})
    post(stack, "jira", ui_link(10014, 10013, now), {})  # before PAY-14 is known
    post(stack, "jira", jira_issue("PAY-13", 10013, due["13"], "Ledger schema", now), {})
    post(stack, "jira", jira_issue("PAY-14", 10014, due["14"], "Key rotation", now), {})

    def settled() -> dict[str, Any] | None:
        rows = httpx.get(f"{stack.urls['scheduler']}/risk", headers=stack.auth).json()
        row = next((r for r in rows if r["item_id"] == "github:acme/web#21"), None)
        return row if row and len(row["chain"]) == 4 else None

    row = wait_until(settled)
    # By hand: PAY-14 (due +40) blocks PAY-13 (+30), which blocks PAY-12 (+20), which blocks
    # the checkout (+14); nothing has a start date, so each finishes when its blocker does.
    assert row["chain"] == ["github:acme/web#21", "jira:PAY-12", "jira:PAY-13", "jira:PAY-14"]
    assert (row["forecast"], row["slip_days"], row["level"]) == (
        due["14"].isoformat(),
        26,
        "off_track",
    )
    blocked = httpx.get(f"{stack.urls['scheduler']}/items/jira:PAY-13", headers=stack.auth).json()
    assert [(b["item_id"], b["origin"]) for b in blocked["blockers"]] == [
        ("jira:PAY-14", "jira-link")
    ]
