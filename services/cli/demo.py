"""A small bundled scenario of signed GitHub deliveries, dated relative to today.

Two repositories: the web team's checkout redesign (due in 14 days) is blocked by the API
team's ledger migration (due in 30): the scheduler should flag the checkout as at risk, with
the migration as its critical chain.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

GITHUB_API = "https://api.github.com/repos"


@dataclass(frozen=True)
class GitHubDelivery:
    event: str
    body: dict[str, Any]

    def signed(self, secret: str) -> tuple[bytes, dict[str, str]]:
        raw = json.dumps(self.body).encode()
        digest = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
        return raw, {
            "content-type": "application/json",
            "x-github-event": self.event,
            "x-github-delivery": str(uuid.uuid4()),
            "x-hub-signature-256": f"sha256={digest}",
            "user-agent": "GitHub-Hookshot/slipstream-demo",
        }


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def milestone(repo: str, number: int, title: str, due: date, now: datetime) -> dict[str, Any]:
    return {
        "number": number,
        "title": title,
        "state": "open",
        "due_on": _stamp(datetime.combine(due, time(7, 0), UTC)),
        "updated_at": _stamp(now),
        "html_url": f"https://github.com/{repo}/milestone/{number}",
    }


def issue(
    repo: str,
    number: int,
    title: str,
    now: datetime,
    ms: dict[str, Any] | None = None,
    assignee: str | None = None,
) -> dict[str, Any]:
    return {
        "number": number,
        "title": title,
        "state": "open",
        "html_url": f"https://github.com/{repo}/issues/{number}",
        "repository_url": f"{GITHUB_API}/{repo}",
        "created_at": _stamp(now - timedelta(days=3)),
        "updated_at": _stamp(now),
        "labels": [],
        "milestone": ms,
        "assignee": {"login": assignee} if assignee else None,
        "assignees": [{"login": assignee}] if assignee else [],
    }


def repository(repo: str) -> dict[str, Any]:
    owner, name = repo.split("/")
    return {"full_name": repo, "name": name, "owner": {"login": owner}}


def scenario(today: date, now: datetime | None = None) -> list[GitHubDelivery]:
    now = now or datetime.now(UTC).replace(microsecond=0)
    api, web = "acme/api", "acme/web"
    web_launch = milestone(web, 3, "Checkout launch", today + timedelta(days=14), now)
    api_q = milestone(api, 5, "Ledger v2", today + timedelta(days=30), now)
    api_soon = milestone(api, 6, "Hardening", today + timedelta(days=10), now)
    checkout = issue(web, 7, "Checkout redesign", now, web_launch, "mara")
    ledger = issue(api, 42, "Ledger migration", now, api_q, "dev")
    limiter = issue(api, 43, "Rate limiter", now, api_soon, "sam")
    deliveries = [
        GitHubDelivery("issues", {"action": "opened", "issue": i, "repository": repository(r)})
        for r, i in ((web, checkout), (api, ledger), (api, limiter))
    ]
    deliveries.append(
        GitHubDelivery(
            "issue_dependencies",
            {
                "action": "blocked_by_added",
                "blocked_issue": checkout,
                "blocking_issue": ledger,
                "blocked_issue_id": 7,
                "blocking_issue_id": 42,
                "repository": repository(web),
            },
        )
    )
    return deliveries


def waiting(row: dict[str, Any]) -> str:
    """Who waits on the item itself: customers and organisations, from feedback."""
    demand = row.get("demand") or {}
    if not demand.get("customers"):
        return "-"
    return f"{demand['customers']} cust/{demand.get('organisations') or 0} org"


RISK_COLUMNS = ("item", "level", "score", "slip", "target", "forecast", "waiting")
RIGHT_ALIGNED = {"score", "slip"}


def risk_cells(row: dict[str, Any]) -> tuple[str, ...]:
    return (
        row["item_id"],
        row["level"],
        f"{row['score'] or 0:.1f}",
        str(row["slip_days"] or 0),
        row["target"] or "-",
        row["forecast"] or "-",
        waiting(row),
    )


def reason_text(reason: dict[str, Any]) -> str:
    """A reason from the read API in words; ``told`` names its blocker by title too."""
    return str(reason.get("told") or reason.get("message") or reason.get("code", ""))


def risk_table(rows: list[dict[str, Any]]) -> str:
    """Columns as wide as their longest cell, so long ids never push the others out of line."""
    cells = [risk_cells(row) for row in rows]
    widths = [max([len(h), *(len(c[n]) for c in cells)]) for n, h in enumerate(RISK_COLUMNS)]

    def line(values: tuple[str, ...], why: str) -> str:
        laid = (
            v.rjust(w) if h in RIGHT_ALIGNED else v.ljust(w)
            for h, v, w in zip(RISK_COLUMNS, values, widths, strict=True)
        )
        return " ".join([*laid, why])

    header = line(RISK_COLUMNS, "why")
    lines = [header, "-" * len(header)]
    for row, values in zip(rows, cells, strict=True):
        why = "; ".join(map(reason_text, row["reasons"]))
        lines.append(line(values, why or "-"))
    return "\n".join(lines)
