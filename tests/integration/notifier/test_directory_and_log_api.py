"""People, subscriptions and the notification log over HTTP, stored in a real Mongo-wire server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pymongo import AsyncMongoClient

from services.notifier.adapters.directory import MongoDirectory
from services.notifier.adapters.mongo import MongoNotificationLog
from services.notifier.adapters.outbox import MongoOutbox
from services.notifier.directory_http import directory_router
from services.notifier.domain.people import ChannelKind
from services.notifier.domain.retry import AttemptResult, Verdict
from services.notifier.views import notifications_router
from shared.http import install_problem_handlers

pytestmark = pytest.mark.integration

SECRET = "whsec_dGVzdC1zZWNyZXQ="
ADA = {
    "name": "Ada",
    "email": "ada@example.com",
    "identities": ["github:ada", "jira:5b10"],
    "channels": {
        "slack": {"webhook_url": "https://hooks.slack.example/T/B/x"},
        "webhook": {"url": "https://hooks.example/ada", "secret": SECRET},
    },
    "timezone": "Europe/Berlin",
    "quiet_hours": {"start": "22:00", "end": "07:00"},
}


class Stack:
    def __init__(self, client: httpx.AsyncClient, db: Any) -> None:
        self.client = client
        self.db = db
        self.directory = MongoDirectory(db)
        self.log = MongoNotificationLog(db["notifications"])
        self.outbox = MongoOutbox(db["notifications"])


@pytest.fixture
async def stack(mongodb_url: str, unique: str) -> AsyncIterator[Stack]:
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_url, tz_aware=True)
    db = mongo[f"notifier_{unique}"]
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(directory_router(MongoDirectory(db)))
    app.include_router(notifications_router(MongoNotificationLog(db["notifications"])))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://notifier") as client:
        yield Stack(client, db)
    await mongo.drop_database(f"notifier_{unique}")
    await mongo.close()


def assert_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_person_is_created_replaced_listed_and_routed_from_storage(stack: Stack) -> None:
    assert (await stack.client.put("/people/ada", json=ADA)).status_code == 201
    assert (
        await stack.client.put("/people/ada", json={**ADA, "name": "Ada L."})
    ).status_code == 200
    listed = (await stack.client.get("/people")).json()
    assert [p["name"] for p in listed] == ["Ada L."]
    assert listed[0]["channels"]["webhook"]["secret"] != SECRET, "secrets are write-only"
    people, _ = await stack.directory.snapshot()
    assert people[0].is_known_as("jira:5b10")
    assert people[0].is_known_as("email:ada@example.com")
    assert people[0].channels.webhook_secret == SECRET
    assert people[0].preferred_channel() is ChannelKind.SLACK


@pytest.mark.parametrize(
    "bad",
    [
        {**ADA, "timezone": "Mars/Olympus"},
        {**ADA, "identities": ["octocat"]},
        {**ADA, "quiet_hour": {"start": "22:00"}},
        {**ADA, "channels": {"webhook": {"url": "https://x.example", "secret": "hunter2"}}},
        {**ADA, "quiet_hours": {"start": "25:00", "end": "07:00"}},
    ],
)
async def test_a_bad_person_is_a_422_and_stores_nothing(stack: Stack, bad: dict[str, Any]) -> None:
    assert_problem(await stack.client.put("/people/ada", json=bad), 422)
    assert await stack.directory.all_people() == []


async def test_subscriptions_are_added_listed_deleted_and_go_with_their_person(
    stack: Stack,
) -> None:
    await stack.client.put("/people/ada", json=ADA)
    body = {"person_id": "ada", "filter": {"team": "web"}, "channel": "slack", "digest_seconds": 0}
    created = await stack.client.post("/subscriptions", json=body)
    assert created.status_code == 201
    subscription_id = created.json()["id"]
    _, subscriptions = await stack.directory.snapshot()
    assert [(s.filter.team, s.digest_seconds) for s in subscriptions] == [("web", 0)]
    assert len((await stack.client.get("/subscriptions", params={"person_id": "ada"})).json()) == 1
    assert (await stack.client.delete(f"/subscriptions/{subscription_id}")).status_code == 204
    assert_problem(await stack.client.delete(f"/subscriptions/{subscription_id}"), 404)
    await stack.client.post("/subscriptions", json=body)
    assert (await stack.client.delete("/people/ada")).status_code == 204
    assert await stack.directory.all_subscriptions() == []
    assert_problem(await stack.client.delete("/people/ada"), 404)
    assert_problem(await stack.client.get("/people/ada"), 404)


@pytest.mark.parametrize(
    "bad",
    [
        {"person_id": "ghost", "channel": "slack"},
        {"person_id": "ada", "channel": "email", "filter": {}},
        {"person_id": "ada", "channel": "email"},
        {"person_id": "ada", "channel": "pager"},
        {"person_id": "ada", "channel": "slack", "filter": {"team": "a", "item": "b"}},
        {"person_id": "ada", "channel": "slack", "filter": {"min_level": "on_track"}},
        {"person_id": "ada", "channel": "slack", "filter": {"events": ["gossip"]}},
        {"person_id": "ada", "channel": "slack", "digest_seconds": -1},
    ],
)
async def test_a_bad_subscription_is_a_422_and_stores_nothing(
    stack: Stack, bad: dict[str, Any]
) -> None:
    await stack.client.put("/people/ada", json={**ADA, "email": None})
    assert_problem(await stack.client.post("/subscriptions", json=bad), 422)
    assert await stack.directory.all_subscriptions() == []


async def test_outcomes_settled_together_are_each_stored_on_their_own_message(
    stack: Stack,
) -> None:
    # Alike outcomes share one update; each message still gets only its own.
    now = datetime.now(UTC)
    later = now.replace(year=now.year + 1)
    ids = ["m1", "m2", "m3", "m4", "m5"]
    await stack.outbox.record_all([{"_id": i, "channel": "webhook"} for i in ids], now)
    await stack.outbox.settle_all(
        [
            ("m1", AttemptResult(200), Verdict("sent")),
            ("m2", AttemptResult(503, error="HTTP 503"), Verdict("retrying", later)),
            ("m3", AttemptResult(200), Verdict("sent")),
            ("m4", AttemptResult(410, error="HTTP 410"), Verdict("failed")),
            ("m5", AttemptResult(503, error="HTTP 503"), Verdict("retrying", now)),
        ],
        now,
    )
    stored = {d["_id"]: d async for d in stack.db["notifications"].find({})}
    assert {i: (d["status"], d["status_code"], d["attempts"]) for i, d in stored.items()} == {
        "m1": ("sent", 200, 1), "m2": ("retrying", 503, 1), "m3": ("sent", 200, 1),
        "m4": ("failed", 410, 1), "m5": ("retrying", 503, 1),
    }  # fmt: skip
    assert stored["m2"]["due_at"] > stored["m5"]["due_at"]
    assert "sent_at" in stored["m1"]
    assert "sent_at" not in stored["m4"]
    assert [len(d["attempt_log"]) for d in stored.values()] == [1] * 5


async def test_the_log_filters_shows_attempts_and_redrives_failures(stack: Stack) -> None:
    now = datetime.now(UTC)
    ok = {"_id": "msg_ok", "channel": "webhook", "destination": "https://hooks.example/a"}
    bad = {"_id": "msg_bad", "channel": "webhook", "destination": "https://hooks.example/b"}
    await stack.outbox.record_all([ok, bad], now)
    await stack.outbox.settle("msg_ok", AttemptResult(503), Verdict("retrying", now), now)
    await stack.outbox.settle("msg_ok", AttemptResult(200), Verdict("sent"), now)
    await stack.outbox.settle("msg_bad", AttemptResult(410), Verdict("failed"), now)
    failed = (await stack.client.get("/notifications", params={"status": "failed"})).json()
    assert [n["id"] for n in failed] == ["msg_bad"]
    future = await stack.client.get("/notifications", params={"since": "2999-01-01T00:00:00Z"})
    assert future.json() == []
    one = (await stack.client.get("/notifications/msg_ok")).json()
    assert [(a["status"], a["status_code"]) for a in one["attempts"]] == [
        ("retrying", 503),
        ("sent", 200),
    ]
    assert_problem(await stack.client.get("/notifications/msg_nope"), 404)
    assert_problem(await stack.client.get("/notifications", params={"status": "lost"}), 422)
    redriven = await stack.client.post("/notifications/redrive", json={})
    assert redriven.json()["redriven"] == 1
    again = await stack.log.one("msg_bad")
    assert again is not None
    assert again["status"] == "pending"
    assert "due_at" in again
    assert (await stack.client.post("/notifications/redrive")).json()["redriven"] == 0
