"""Release risk, a demand surge and a closable loop published on a real JetStream reach real
receivers through the notifier app; two notifier apps on one outbox send each message once.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import nats
import pytest
from fastapi import FastAPI
from pymongo import AsyncMongoClient

from services.cli.embedded import start_nats
from services.notifier.adapters.directory import MongoDirectory
from services.notifier.config import NotifierSettings
from services.notifier.main import create_app
from services.notifier.schemas import PersonBody, SubscriptionBody
from shared.events import (
    DemandSurgedV1,
    Event,
    LoopClosableV1,
    ReleaseRiskChangedV1,
    Source,
    WaitingCustomer,
)
from shared.standard_webhooks import signature_matches
from tests.support.notifier_receivers import Mailbox, SlackStandIn, slack_stand_in, smtp_server
from tests.support.receivers import Sink, http_sink
from tests.support.streams import eventually

pytestmark = pytest.mark.integration

SECRET = "whsec_ZXZlbnQta2luZHMtc2VjcmV0"
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
COMMON = {"occurred_at": NOW, "source": Source.SLIPSTREAM}


@pytest.fixture
def receivers() -> Iterator[tuple[SlackStandIn, Mailbox, Sink]]:
    with slack_stand_in() as slack, smtp_server() as mailbox, http_sink() as sink:
        yield slack, mailbox, sink


@pytest.fixture
async def nats_url(tmp_path: Path) -> AsyncIterator[str]:
    server = start_nats(tmp_path)
    try:
        yield server.url
    finally:
        server.process.stop()


async def seed(directory: MongoDirectory, slack: SlackStandIn, sink: Sink) -> None:
    people = {
        "lee": {"slack": {"webhook_url": slack.url}},
        "kim": {"email": {"address": "kim@example.com"}},
        "ops": {"webhook": {"url": sink.url + "/ops", "secret": SECRET}},
    }
    for person, channels in people.items():
        await directory.put_person(person, PersonBody(name=person, channels=channels))  # type: ignore[arg-type]
    for person, channel, events in (
        ("lee", "slack", ["release"]),
        ("kim", "email", ["loop_closable"]),
        ("ops", "webhook", ["demand_surge", "release", "loop_closable"]),
    ):
        body = {"person_id": person, "channel": channel, "digest_seconds": 0,
                "filter": {"events": events}}  # fmt: skip
        await directory.add_subscription(SubscriptionBody.model_validate(body))


def events(unique: str) -> list[Event]:
    release = ReleaseRiskChangedV1(
        event_id=f"rel-{unique}", **COMMON, release_id="github:acme/web/milestone/3",
        name="Launch", slipping=True, target=date(2026, 12, 10), forecast=date(2026, 12, 18),
        slip_days=8, threatened_by=("github:acme/web#7",),
    )  # fmt: skip
    surge = DemandSurgedV1(
        event_id=f"surge-{unique}", **COMMON, item_id="jira:PAY-12", recent=14, baseline=1.5,
        window_seconds=86_400, customers=9, organisations=4, weight=12.0,
    )  # fmt: skip
    loop = LoopClosableV1(
        event_id=f"loop-{unique}", **COMMON, item_id="github:acme/web#7", because="done",
        title="Export", customers=(WaitingCustomer(customer_id="c1", name="Ann"),),
    )  # fmt: skip
    return [release, surge, loop]


async def publish(url: str, published: list[Event]) -> None:
    client = await nats.connect(url)
    try:
        stream = client.jetstream()
        for event in published:
            await stream.publish(
                event.subject,
                event.model_dump_json().encode(),
                headers={"Nats-Msg-Id": event.event_id},
            )
    finally:
        await client.close()


def webhook_items(sink: Sink) -> list[dict[str, Any]]:
    """One digest or several, depending on how the events were batched: the items count."""
    return [i for h in sink.snapshot() for i in json.loads(h.body)["data"]["items"]]


async def running(stack: AsyncExitStack, settings: NotifierSettings) -> FastAPI:
    app = create_app(settings)
    await stack.enter_async_context(app.router.lifespan_context(app))
    return app


@pytest.mark.parametrize("replicas", [1, 2])
async def test_each_kind_arrives_once_on_each_subscribed_channel(
    nats_url: str,
    mongodb_url: str,
    unique: str,
    receivers: tuple[SlackStandIn, Mailbox, Sink],
    replicas: int,
) -> None:
    slack, mailbox, sink = receivers
    database = f"notifier_kinds_{unique}"
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_url, tz_aware=True)
    await seed(MongoDirectory(mongo[database]), slack, sink)
    settings = NotifierSettings(
        nats_url=nats_url, mongodb_url=mongodb_url, mongodb_database=database,
        smtp_url=mailbox.url, poll_seconds=0.1,
    )  # fmt: skip
    async with AsyncExitStack() as stack:
        for _ in range(replicas):
            await running(stack, settings)
        await publish(nats_url, events(unique))

        async def all_arrived() -> bool | None:
            hooked = len(webhook_items(sink)) >= 3
            return True if slack.accepted and mailbox.messages and hooked else None

        await eventually(all_arrived, 30)
        sent = mongo[database]["notifications"]

        async def settled() -> bool | None:
            busy = await sent.count_documents({"status": {"$in": ["pending", "retrying"]}})
            return True if busy == 0 else None

        await eventually(settled, 10)
    await mongo.drop_database(database)
    await mongo.close()

    assert slack.accepted[0]["text"] == "Release Launch is slipping past its date"
    assert len(slack.accepted) == 1
    assert [m["Subject"] for m in mailbox.messages] == [
        "[Slipstream] Export can close the loop with its customers"
    ]
    hooks = sink.snapshot()
    assert len({h.headers["webhook-id"] for h in hooks}) == len(hooks)
    assert sorted(item["kind"] for item in webhook_items(sink)) == [
        "demand_surge", "loop_closable", "release",
    ]  # fmt: skip
    for hook in hooks:
        assert signature_matches(
            SECRET, hook.headers["webhook-id"], int(hook.headers["webhook-timestamp"]),
            hook.body, hook.headers["webhook-signature"],
        )  # fmt: skip
