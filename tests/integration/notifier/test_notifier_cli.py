"""``slipstream people/subscribe/notifications/redrive`` against the notifier API on real Mongo."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from pymongo import AsyncMongoClient, MongoClient
from typer.testing import CliRunner

from services.cli.main import app as cli
from services.notifier.adapters.directory import MongoDirectory
from services.notifier.adapters.mongo import MongoNotificationLog
from services.notifier.directory_http import directory_router
from services.notifier.views import notifications_router
from shared.http import install_problem_handlers

pytestmark = pytest.mark.integration
SECRET = "whsec_dGVzdC1zZWNyZXQ="


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def notifier(mongodb_url: str, unique: str) -> Iterator[tuple[str, Any]]:
    """The notifier's API served over real HTTP, so the CLI talks to it as it would in use."""
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_url, tz_aware=True)
    db = mongo[f"notifier_cli_{unique}"]
    api = FastAPI()
    install_problem_handlers(api)
    api.include_router(directory_router(MongoDirectory(db)))
    api.include_router(notifications_router(MongoNotificationLog(db["notifications"])))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(api, port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    sync: MongoClient[dict[str, Any]] = MongoClient(mongodb_url, tz_aware=True)
    yield f"http://127.0.0.1:{port}", sync[f"notifier_cli_{unique}"]
    server.should_exit = True
    thread.join(10)
    sync.drop_database(f"notifier_cli_{unique}")
    sync.close()


def run(url: str, *args: str) -> Any:
    return CliRunner().invoke(cli, [*args, "--notifier-url", url])


def test_people_and_subscriptions_round_trip_through_the_api(notifier: tuple[str, Any]) -> None:
    url, db = notifier
    put = run(
        url, "people", "put", "ada", "--name", "Ada", "--email", "ada@example.com",
        "--identity", "github:ada", "--identity", "jira:5b10",
        "--slack", "https://hooks.slack.example/T/B/x",
        "--webhook-url", "https://hooks.example/ada", "--webhook-secret", SECRET,
        "--timezone", "Europe/Berlin", "--quiet-hours", "22:00-07:00",
    )  # fmt: skip
    assert put.exit_code == 0, put.output
    stored = db["notifier_people"].find_one({"_id": "ada"})
    assert stored["identities"] == ["github:ada", "jira:5b10"]
    assert stored["quiet_hours"] == {"start": "22:00:00", "end": "07:00:00"}
    assert stored["channels"]["webhook"]["secret"] == SECRET
    listed = run(url, "people", "list")
    assert "ada" in listed.output
    assert "slack,webhook" in listed.output
    sub = run(
        url, "subscribe", "ada", "--channel", "slack", "--team", "payments",
        "--min-level", "off_track", "--event", "risk", "--digest-seconds", "0",
    )  # fmt: skip
    assert sub.exit_code == 0, sub.output
    subscription_id = sub.output.strip().rsplit(" ", 1)[-1]
    assert "payments" in run(url, "subscriptions", "--person", "ada").output
    report = run(
        url, "subscribe", "ada", "--channel", "slack", "--event", "report",
        "--report-weekday", "monday", "--report-hour", "9",
    )  # fmt: skip
    assert report.exit_code == 0, report.output
    report_id = report.output.strip().rsplit(" ", 1)[-1]
    assert db["notifier_report_timers"].find_one({"_id": report_id})["hour"] == 9
    assert run(url, "unsubscribe", report_id).exit_code == 0
    assert db["notifier_report_timers"].find_one({"_id": report_id}) is None
    assert run(url, "unsubscribe", subscription_id).exit_code == 0
    assert run(url, "subscriptions").output.strip() == ""
    assert run(url, "people", "delete", "ada").exit_code == 0
    assert db["notifier_people"].find_one({"_id": "ada"}) is None


def test_refusals_and_an_unreachable_notifier_are_clear(notifier: tuple[str, Any]) -> None:
    url, _ = notifier
    missing = run(url, "people", "delete", "nobody")
    assert missing.exit_code == 1
    assert "404" in missing.output
    assert "nobody" in missing.output
    bad = run(url, "people", "put", "bo", "--name", "Bo", "--timezone", "Mars/Olympus")
    assert bad.exit_code == 1
    assert "422" in bad.output
    assert "Mars/Olympus" in bad.output
    no_channel = run(url, "subscribe", "ghost", "--channel", "slack")
    assert no_channel.exit_code == 1
    assert "no person ghost" in no_channel.output
    gone = run(f"http://127.0.0.1:{free_port()}", "people", "list")
    assert gone.exit_code == 2
    assert "unreachable" in gone.output


def test_notifications_are_listed_and_redriven(notifier: tuple[str, Any]) -> None:
    url, db = notifier
    now = datetime.now(UTC)
    db["notifications"].insert_one(
        {"_id": "m1", "person_id": "ada", "channel": "slack", "status": "dead",
         "status_code": 500, "error": "HTTP 500", "attempts": 8, "attempt_log": [],
         "created_at": now, "updated_at": now, "due_at": now}
    )  # fmt: skip
    listed = run(url, "notifications", "--status", "dead", "--person", "ada")
    assert listed.exit_code == 0
    assert "m1" in listed.output
    assert "HTTP 500" in listed.output
    redriven = run(url, "redrive")
    assert redriven.exit_code == 0
    assert "redriven 1" in redriven.output
    assert db["notifications"].find_one({"_id": "m1"})["status"] != "dead"
