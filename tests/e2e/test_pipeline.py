"""The whole system started as `slipstream up` starts it, driven over HTTP."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from pymongo import MongoClient

from services.cli.demo import scenario
from services.cli.stack import Stack
from shared.standard_webhooks import signature_matches
from tests.support.receivers import Sink, http_sink, spans_by_trace
from tests.support.stacks import post_github, running_stack
from tests.support.streams import read_stream, wait_until

pytestmark = pytest.mark.e2e

GITHUB_SECRET = "e2e-github-secret"
NOTIFY_SECRET = "whsec_ZTJlLW5vdGlmaWVyLXNlY3JldC1rZXk="


@pytest.fixture(scope="module")
def sinks() -> Iterator[tuple[Sink, Sink]]:
    with http_sink() as webhooks, http_sink() as traces:
        yield webhooks, traces


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, sinks: tuple[Sink, Sink]) -> Iterator[Stack]:
    webhooks, traces = sinks
    env = {
        "INGEST_GITHUB_SECRET": GITHUB_SECRET,
        "NOTIFIER_WEBHOOK_URL": f"{webhooks.url}/hooks/risk",
        "NOTIFIER_WEBHOOK_SECRET": NOTIFY_SECRET,
        "OTEL_EXPORTER_OTLP_ENDPOINT": traces.url,
        "SCHEDULER_RECHECK_INTERVAL_SECONDS": "3600",
        "SCHEDULER_RANK_MARKS_INTERVAL_SECONDS": "1",
    }
    data_dir: Path = tmp_path_factory.mktemp("stack")
    with running_stack(data_dir, env) as running:
        yield running


def post_scenario(stack: Stack) -> None:
    post_github(stack, scenario(date.today()), GITHUB_SECRET)


def test_blocked_delivery_reaches_receiver_signed_and_traced(
    stack: Stack, sinks: tuple[Sink, Sink]
) -> None:
    webhooks, traces = sinks
    post_scenario(stack)

    def risk_notification() -> dict[str, object] | None:
        for request in webhooks.snapshot():
            payload = json.loads(request.body)
            if payload["data"]["item_id"] == "github:acme/web#7":
                return {"request": request, "payload": payload}
        return None

    found = wait_until(risk_notification)
    request, payload = found["request"], found["payload"]
    assert payload["data"]["level"] in ("at_risk", "off_track")  # type: ignore[index]
    assert "github:acme/api#42" in payload["data"]["chain"]  # type: ignore[index]
    assert signature_matches(
        NOTIFY_SECRET,
        request.headers["webhook-id"],  # type: ignore[attr-defined]
        int(request.headers["webhook-timestamp"]),  # type: ignore[attr-defined]
        request.body,  # type: ignore[attr-defined]
        request.headers["webhook-signature"],  # type: ignore[attr-defined]
    )

    def shared_trace() -> set[str] | None:
        # Each service exports its spans in its own batches: wait for all three, not any three.
        hops = {"ingest", "scheduler", "notifier"}
        return next((s for s in spans_by_trace(traces).values() if hops <= s), None)

    assert {"ingest", "scheduler", "notifier"} <= wait_until(shared_trace)


def test_each_sent_notification_is_told_on_the_bus_once(
    stack: Stack, sinks: tuple[Sink, Sink]
) -> None:
    webhooks, _ = sinks
    post_scenario(stack)
    sent = wait_until(lambda: webhooks.snapshot() or None)
    cause = json.loads(sent[0].body)["data"]["event_id"]

    def told() -> list[dict[str, Any]] | None:
        messages = asyncio.run(read_stream(stack.nats_url, "notify.notification.sent.v1"))
        mine = [json.loads(m.data) for m in messages]
        mine = [event for event in mine if event["cause_event_id"] == cause]
        return mine or None

    (event,) = wait_until(told)
    assert event["notification_id"] == sent[0].headers["webhook-id"]
    assert event["status_code"] == 200


def test_risk_table_shows_blocked_item_with_its_chain(stack: Stack) -> None:
    post_scenario(stack)

    def blocked_row() -> dict[str, object] | None:
        rows = httpx.get(
            f"{stack.urls['scheduler']}/risk", params={"level": "off_track"}, headers=stack.auth
        ).json()
        return next((r for r in rows if r["item_id"] == "github:acme/web#7"), None)

    row = wait_until(blocked_row)
    # Due in 14 days behind a blocker due in 30: 16 days of slip is past the 7-day threshold.
    assert row["slip_days"] == 16
    assert row["chain"][:2] == ["github:acme/web#7", "github:acme/api#42"]  # type: ignore[index]
    assert any(r["code"] == "blocker_late" for r in row["reasons"])  # type: ignore[union-attr]


def test_the_leader_keeps_marks_along_the_risk_table_it_stores(stack: Stack) -> None:
    post_scenario(stack)
    db = MongoClient(stack.mongodb_url)["slipstream"]

    def marked() -> dict[str, Any] | None:
        """The marks once they cover every stored row and begin at the table's first row."""
        marks = db["risk_marks"].find_one({"_id": "assessments"})
        top = httpx.get(f"{stack.urls['scheduler']}/risk", params={"limit": 1}, headers=stack.auth)
        first = top.json()[0]
        if marks is None or marks["rows"] != db["assessments"].count_documents({}):
            return None
        return (
            marks
            if (marks["scores"][0], marks["ids"][0]) == (first["score"], first["item_id"])
            else None
        )

    marks = wait_until(marked)
    assert marks["every"] == 64
    assert marks["rows"] >= 3, "the demo's items"


def test_every_service_is_alive_and_ready(stack: Stack) -> None:
    for url in stack.urls.values():
        assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}
        assert httpx.get(f"{url}/readyz").status_code == 200


def test_history_as_of_and_the_report_follow_the_demo_slip(stack: Stack, tmp_path: Path) -> None:
    post_scenario(stack)
    scheduler, web = stack.urls["scheduler"], "github:acme/web#7"

    def kept() -> list[dict[str, object]] | None:
        response = httpx.get(
            f"{scheduler}/items/{quote(web, safe=':/')}/history", headers=stack.auth
        )
        if response.status_code == 404:  # not projected yet
            return None
        found = response.json()
        return found if any(e["level"] == "off_track" for e in found) else None

    entries = wait_until(kept)
    moment = str(entries[-1]["at"])
    then = httpx.get(
        f"{scheduler}/risk", params={"as_of": moment, "level": "off_track"}, headers=stack.auth
    ).json()
    row = next(r for r in then if r["item_id"] == web)
    assert row["chain"][:2] == [web, "github:acme/api#42"]

    report = httpx.get(f"{scheduler}/report", params={"since": "1d"}, headers=stack.auth)
    assert report.status_code == 200
    chains = report.text.split("## Longest slipping chains")[1].split("##")[0]
    assert f"| {web} |" in chains
    artifacts = Path(os.environ.get("SLIPSTREAM_TEST_ARTIFACTS", tmp_path))
    artifacts.mkdir(parents=True, exist_ok=True)
    (artifacts / "demo-report.md").write_text(report.text)
    page = httpx.get(
        f"{scheduler}/report", params={"since": "1d", "format": "html"}, headers=stack.auth
    ).text
    (artifacts / "demo-report.html").write_text(page)
