"""The real ingest app against real NATS: every sample posted, normalised, deduped, replayed."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from services.cli.main import app as cli
from tests.support.ingest import signed
from tests.support.streams import events_of, eventually, read_stream, running_ingest

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).parents[1] / "fixtures" / "webhooks"
SAMPLES = sorted(str(p.relative_to(FIXTURES)) for p in FIXTURES.glob("*/*.json"))
HELLO = "github:Codertocat/Hello-World"
MILESTONE = f"{HELLO}/milestone/1"
ITEM, RELEASE, FEEDBACK = (
    "work.item.changed.v1",
    "work.release.changed.v1",
    "feedback.item.received.v1",
)
WITH_MILESTONE = [(ITEM, f"{HELLO}#1"), (RELEASE, MILESTONE)]
# What each sample yields, read off the vendor payloads; [] means 202 "ignored".
EXPECTED: dict[str, list[tuple[str, str]]] = {
    "canny/post.created.json": [(FEEDBACK, "canny:post/62e26a7e1d4ea13c124337bd")],
    "canny/post.status_changed.json": [(FEEDBACK, "canny:post/62dfa4479950e9465532a31e")],
    "canny/vote.created.json": [(FEEDBACK, "canny:vote/62dfd0cfb2870d468c9618f5")],
    "github/issue_dependencies.blocked_by_added.json": [
        ("work.dependency.added.v1", "github:octocat/Hello-World#2 -> github:octocat/Hello-World#1")
    ],
    "github/issues.assigned.json": WITH_MILESTONE,
    "github/issues.closed.json": [(ITEM, "github:C-Saunders/flynn_env_test#1")],
    "github/issues.demilestoned.json": [(ITEM, f"{HELLO}#2")],
    "github/issues.edited.json": WITH_MILESTONE,
    "github/issues.labeled.json": WITH_MILESTONE,
    "github/issues.milestoned.json": [(ITEM, f"{HELLO}#2"), (RELEASE, MILESTONE)],
    "github/issues.opened.json": WITH_MILESTONE,
    "github/issues.reopened.json": WITH_MILESTONE,
    "github/milestone.closed.json": [(RELEASE, MILESTONE)],
    "github/milestone.created.json": [(RELEASE, MILESTONE)],
    "github/ping.json": [],
    "github/projects_v2_item.created.json": [],
    "github/projects_v2_item.edited.date_field.json": [],
    "github/projects_v2_item.edited.json": [],
    "intercom/conversation.admin.replied.json": [
        (FEEDBACK, "intercom:conversation/137324500000000/part/6073780765")
    ],
    "jira/issuelink_created.json": [("work.dependency.added.v1", "jira-id:11442 -> jira-id:11961")],
    "jira/issuelink_deleted.json": [
        ("work.dependency.removed.v1", "jira-id:11442 -> jira-id:11961")
    ],
    "jira/jira_issue_created.json": [(ITEM, "jira:TES-41")],
    "jira/jira_issue_updated.description.json": [(ITEM, "jira:KAN-22")],
    "jira/jira_issue_updated.fix_version.json": [(ITEM, "jira:TES-41")],
    "jira/jira_issue_updated.status_resolved.json": [(ITEM, "jira:TES-41")],
    "jira/jira_version_released.json": [(RELEASE, "jira:version/10000")],
    "linear/Issue.create.json": [(ITEM, "linear:POR-5")],
    "linear/Issue.update.json": [(ITEM, "linear:LIN-34")],
    "linear/Issue.update.state_change.json": [(ITEM, "linear:KOR-11")],
    "linear/Project.update.json": [
        (RELEASE, "linear:project/5ad6280f-xxxx-xxxx-xxxx-b869cfa62b33")
    ],
    "linear/ProjectUpdate.update.json": [],
}
# These vendors identify a delivery by its body, so a second run against the same server
# (NATS_URL) meets its own earlier delivery.
BODY_IDENTIFIED = ("intercom", "canny")


@pytest.fixture(scope="module")
async def ingest(nats_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with running_ingest(nats_url) as client:
        yield client


def entity(event: dict[str, Any]) -> str:
    if "blocker_id" in event:
        return f"{event['blocker_id']} -> {event['blocked_id']}"
    return str(event.get("item_id") or event.get("release_id") or event.get("feedback_id"))


def sample_body(name: str, now: datetime) -> bytes:
    body = (FIXTURES / name).read_bytes()
    if name.startswith("linear/"):
        # Linear's signed webhookTimestamp must be within 60 s of now (the old samples have
        # none, the new ones a 2023/2024 one): give each a current one, as the unit tests do.
        payload = json.loads(body) | {"webhookTimestamp": int(now.timestamp() * 1000)}
        body = json.dumps(payload).encode()
    return body


async def post_sample(client: httpx.AsyncClient, name: str, delivery: str) -> httpx.Response:
    source, now = name.split("/")[0], datetime.now(UTC)
    body = sample_body(name, now)
    headers = signed(source, body, now, delivery)
    if source == "github":
        headers["x-github-event"] = Path(name).name.split(".")[0]
    return await client.post(f"/webhooks/{source}", content=body, headers=headers)


def test_every_fixture_sample_has_an_expectation() -> None:
    assert sorted(EXPECTED) == SAMPLES


async def test_every_sample_yields_its_canonical_events(
    ingest: httpx.AsyncClient, nats_url: str, unique: str
) -> None:
    delivery_of: dict[str, str] = {}
    for index, name in enumerate(SAMPLES):
        response = await post_sample(ingest, name, f"{unique}-{index}")
        assert response.status_code == 202, (name, response.text)
        status = response.json()["status"]
        wanted = {"accepted"} if EXPECTED[name] else {"ignored"}
        if name.startswith(BODY_IDENTIFIED):
            wanted.add("duplicate")
        assert status in wanted, (name, status)
        delivery_of[response.json()["delivery_id"]] = name

    total = sum(len(expected) for expected in EXPECTED.values())

    async def all_events() -> list[dict[str, Any]] | None:
        found = await events_of(nats_url, set(delivery_of))
        return found if len(found) >= total else None

    found = await eventually(all_events)
    yielded: dict[str, list[tuple[str, str]]] = {name: [] for name in SAMPLES}
    for event in sorted(found, key=lambda e: e["event_id"]):
        yielded[delivery_of[event["delivery_id"]]].append((event["subject"], entity(event)))
    assert {k: sorted(v) for k, v in yielded.items()} == {k: sorted(v) for k, v in EXPECTED.items()}


async def test_repeated_delivery_is_duplicate_and_yields_its_events_once(
    ingest: httpx.AsyncClient, nats_url: str, unique: str
) -> None:
    first = await post_sample(ingest, "github/milestone.created.json", unique)
    again = await post_sample(ingest, "github/milestone.created.json", unique)
    assert (first.json()["status"], again.json()["status"]) == ("accepted", "duplicate")
    await eventually(lambda: _events_if_any(nats_url, unique))
    # Stored once, so normalised once: there is no second raw message to yield a second set.
    raw = [
        m
        for m in await read_stream(nats_url, "ingest.raw.github")
        if m.headers and m.headers.get("Slipstream-Delivery-Id") == unique
    ]
    assert len(raw) == 1
    assert len(await events_of(nats_url, {unique})) == 1


async def _events_if_any(url: str, delivery: str) -> list[dict[str, Any]] | None:
    return await events_of(url, {delivery}) or None


async def test_uninterpretable_delivery_is_422_kept_and_dead_lettered_with_reason(
    ingest: httpx.AsyncClient, nats_url: str, unique: str
) -> None:
    body = b'{"action": "opened", "issue": {"title": "no number"}, "repository": {}}'
    headers = signed("github", body, datetime.now(UTC), unique) | {"x-github-event": "issues"}
    response = await ingest.post("/webhooks/github", content=body, headers=headers)
    assert (response.status_code, response.headers["content-type"]) == (
        422,
        "application/problem+json",
    )

    async def dead_letter() -> dict[str, str] | None:
        for message in await read_stream(nats_url, "deadletter.ingest-normaliser"):
            if (message.headers or {}).get("Slipstream-Delivery-Id") == unique:
                return dict(message.headers or {})
        return None

    headers_found = await eventually(dead_letter)
    assert headers_found["Slipstream-Reason"].startswith("uninterpretable:")
    assert headers_found["Slipstream-Source"] == "github"


async def test_replay_re_emits_the_events_of_past_deliveries(
    ingest: httpx.AsyncClient, nats_url: str, unique: str
) -> None:
    since = datetime.now(UTC)
    deliveries = {f"{unique}-a", f"{unique}-b"}
    for delivery in sorted(deliveries):
        await post_sample(ingest, "github/issues.opened.json", delivery)

    async def originals() -> list[dict[str, Any]] | None:
        found = await events_of(nats_url, deliveries)
        return found if len(found) == 4 else None

    await eventually(originals)
    args = ["replay", "--since", since.isoformat(), "--source", "github", "--nats-url", nats_url]
    result = await asyncio.to_thread(CliRunner().invoke, cli, args)
    assert result.exit_code == 0, result.output
    assert "replayed 2 deliveries" in result.output
    assert "4 events republished" in result.output
    copies = Counter(e["event_id"] for e in await events_of(nats_url, deliveries))
    assert sorted(copies.values()) == [2, 2, 2, 2]
