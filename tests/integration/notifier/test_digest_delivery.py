"""Digests delivered to real receivers: a Slack stand-in, an SMTP server, a signed webhook.

The clock is passed to every tick, so windows, retries and leases are driven explicitly; the
stores are a real Mongo-wire server and the receivers are real servers on local ports.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from opentelemetry.metrics import NoOpMeter
from opentelemetry.trace import NoOpTracer
from pymongo import AsyncMongoClient

from services.notifier.adapters.channels import HttpChannels, SmtpChannel
from services.notifier.adapters.digests import DIGESTS, TOLD, MongoDigestWindows, MongoToldLevels
from services.notifier.adapters.directory import MongoDirectory
from services.notifier.adapters.outbox import MongoOutbox
from services.notifier.digest_router import DigestRouter
from services.notifier.domain.change import Change
from services.notifier.domain.throttle import ThrottlePolicy
from services.notifier.outbox_worker import OutboxWorker
from services.notifier.schemas import PersonBody
from shared.events import RiskLevel
from shared.standard_webhooks import signature_matches
from tests.support.notifier_receivers import Mailbox, SlackStandIn, slack_stand_in, smtp_server
from tests.support.receivers import Sink, http_sink

pytestmark = pytest.mark.integration

T0 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
SECRET = "whsec_dGVzdC1zZWNyZXQ="
DASHBOARD = "https://slipstream.example.com/"


class Rig:
    def __init__(self, db: Any, http: HttpChannels, mailbox: Mailbox) -> None:
        self.db = db
        self.directory = MongoDirectory(db)
        windows, told = MongoDigestWindows(db[DIGESTS]), MongoToldLevels(db[TOLD])
        self.router = DigestRouter(self.directory, windows, told)
        self.outbox = MongoOutbox(db["notifications"])
        smtp = SmtpChannel(mailbox.url, "slipstream@example.com", 5.0)
        self.worker = OutboxWorker(
            self.directory, windows, told, self.outbox, http, smtp,
            ThrottlePolicy(limit=100, window_seconds=3600), NoOpTracer(), NoOpMeter("test"),
            dashboard=DASHBOARD,
        )  # fmt: skip

    async def route_all(self, changes: list[Change], now: datetime) -> None:
        for change in changes:
            await self.router.route(change, now)

    async def messages(self) -> list[dict[str, Any]]:
        return [d async for d in self.db["notifications"].find({}).sort("_id", 1)]


@pytest.fixture
def receivers() -> Iterator[tuple[SlackStandIn, Mailbox, Sink]]:
    with slack_stand_in() as slack, smtp_server() as mailbox, http_sink() as sink:
        yield slack, mailbox, sink


@pytest.fixture
async def rig(
    mongodb_url: str, unique: str, receivers: tuple[SlackStandIn, Mailbox, Sink]
) -> AsyncIterator[Rig]:
    slack, mailbox, sink = receivers
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_url, tz_aware=True)
    db = mongo[f"notifier_{unique}"]
    async with HttpChannels(5.0) as http:
        rig = Rig(db, http, mailbox)
        await rig.outbox.ensure_indexes()
        people = {
            "ada": {"slack": {"webhook_url": slack.url}},
            "bob": {"email": {"address": "bob@example.com"}},
            "cyd": {"webhook": {"url": sink.url + "/cyd", "secret": SECRET}},
        }
        for person_id, channels in people.items():
            body = {"name": person_id.title(), "identities": [f"github:{person_id}"]}
            await rig.directory.put_person(
                person_id, PersonBody.model_validate({**body, "channels": channels})
            )
        yield rig
    await mongo.drop_database(f"notifier_{unique}")
    await mongo.close()


def slip(index: int, owner: str, level: RiskLevel = RiskLevel.OFF_TRACK) -> Change:
    return Change(
        cause_id=f"risk-{index}-{level}",
        item_id=f"github:acme/web#{index}",
        level=level,
        previous_level=RiskLevel.ON_TRACK,
        owner=f"github:{owner}",
        title=f"Dependant {index}",
        target=date(2026, 12, 10),
        forecast=date(2026, 12, 20),
        slip_days=10,
        reasons=("blocked by github:acme/web#0, which slipped 10 days",),
        chain=("github:acme/web#0", f"github:acme/web#{index}"),
        chain_ids=("github:acme/web#0", f"github:acme/web#{index}"),
    )


ROOT_SLIP = [slip(i, ("ada", "bob", "cyd")[i % 3]) for i in range(1, 31)]


async def test_a_root_slip_over_30_dependants_is_one_message_per_person(
    rig: Rig, receivers: tuple[SlackStandIn, Mailbox, Sink]
) -> None:
    slack, mailbox, sink = receivers
    await rig.route_all(ROOT_SLIP, T0)
    assert await rig.worker.tick(T0) == 0, "the window is still collecting"
    assert await rig.worker.tick(T0 + timedelta(seconds=300)) == 3

    assert len(slack.accepted) == 1
    assert slack.rejected == []
    slack_items = [b for b in slack.accepted[0]["blocks"] if b["type"] == "section"]
    assert len(slack_items) == 10
    assert "10 items" in slack.accepted[0]["blocks"][0]["text"]["text"]
    # Each item links to its explanation on the dashboard, on every channel.
    explained = f"{DASHBOARD}#/item/github%3Aacme%2Fweb%23"
    contexts = [
        b["elements"][0]["text"] for b in slack.accepted[0]["blocks"] if b["type"] == "context"
    ]
    assert all(f"· <{explained}" in c and "|Why, in Slipstream>" in c for c in contexts), contexts
    # The slipping root is one click away from every dependant's critical chain.
    root = f"<{explained}0|github:acme/web#0> → <{explained}"
    assert all(root in s["text"]["text"] for s in slack_items), slack_items[0]

    assert len(mailbox.messages) == 1
    mail = mailbox.messages[0]
    assert mail["To"] == "bob@example.com"
    assert mail["Message-ID"].startswith("<msg_")
    parts = {part.get_content_type(): part for part in mail.walk()}
    assert {"text/plain", "text/html"} <= parts.keys()
    plain = parts["text/plain"].get_payload(decode=True)
    assert isinstance(plain, bytes)
    assert plain.decode().count("is off track") == 10
    assert plain.decode().count(f"why, in Slipstream: {explained}") == 10

    hooks = sink.snapshot()
    assert len(hooks) == 1
    hook = hooks[0]
    assert signature_matches(
        SECRET, hook.headers["webhook-id"], int(hook.headers["webhook-timestamp"]),
        hook.body, hook.headers["webhook-signature"],
    )  # fmt: skip
    items = json.loads(hook.body)["data"]["items"]
    assert len(items) == 10
    assert all(i["explained"].startswith(explained) for i in items)
    ids = {m["_id"] for m in await rig.messages()}
    assert hook.headers["webhook-id"] in ids
    assert mail["Message-ID"].strip("<>").removesuffix("@slipstream") in ids

    # The same deliveries replayed: everyone was already told, so nothing new goes out.
    later = T0 + timedelta(seconds=400)
    await rig.route_all(ROOT_SLIP, later)
    assert await rig.worker.tick(later + timedelta(seconds=300)) == 0
    assert (len(slack.accepted), len(mailbox.messages), len(sink.snapshot())) == (1, 1, 1)


async def test_a_change_that_reverts_inside_the_window_sends_nothing(
    rig: Rig, receivers: tuple[SlackStandIn, Mailbox, Sink]
) -> None:
    slack, _, _ = receivers
    red = slip(1, "ada")
    back = Change(**{**red.__dict__, "cause_id": "back", "level": RiskLevel.ON_TRACK,
                     "previous_level": RiskLevel.OFF_TRACK})  # fmt: skip
    await rig.route_all([red, back], T0)
    assert await rig.worker.tick(T0 + timedelta(seconds=300)) == 0
    assert slack.accepted == []
    assert await rig.messages() == []


async def test_slack_429_is_retried_after_its_retry_after_and_then_sent_once(
    rig: Rig, receivers: tuple[SlackStandIn, Mailbox, Sink]
) -> None:
    slack, _, _ = receivers
    slack.rate_limit_next(1, "30")
    await rig.route_all([slip(1, "ada")], T0)
    due = T0 + timedelta(seconds=300)
    assert await rig.worker.tick(due) == 0
    [message] = await rig.messages()
    assert message["status"] == "retrying"
    assert message["due_at"] == due + timedelta(seconds=30), "Retry-After beats the 5 s step"
    assert await rig.worker.tick(due + timedelta(seconds=29)) == 0
    assert await rig.worker.tick(due + timedelta(seconds=30)) == 1
    [message] = await rig.messages()
    assert [(a["status"], a["status_code"]) for a in message["attempt_log"]] == [
        ("retrying", 429),
        ("sent", 200),
    ]
    assert len(slack.accepted) == 1


async def test_a_crash_after_claiming_still_sends_once_when_the_lease_runs_out(
    rig: Rig, receivers: tuple[SlackStandIn, Mailbox, Sink]
) -> None:
    slack, _, _ = receivers
    await rig.route_all([slip(1, "ada")], T0)
    due = T0 + timedelta(seconds=300)
    await rig.worker.close_due_windows(due)  # recorded ...
    assert await rig.outbox.claim(due) is not None  # ... claimed, and the worker dies here
    assert await rig.worker.tick(due + timedelta(seconds=1)) == 0, "still leased"
    assert await rig.worker.tick(due + timedelta(seconds=60)) == 1
    assert await rig.worker.tick(due + timedelta(seconds=600)) == 0
    assert len(slack.accepted) == 1


async def test_a_refused_connection_is_retried_on_the_schedule(
    rig: Rig, receivers: tuple[SlackStandIn, Mailbox, Sink]
) -> None:
    _, mailbox, _ = receivers
    await rig.directory.put_person("bob", PersonBody.model_validate(
        {"name": "Bob", "identities": ["github:bob"], "channels": {"webhook": {
            "url": "http://127.0.0.1:9/closed", "secret": SECRET}}}))  # fmt: skip
    await rig.route_all([slip(2, "bob")], T0)
    assert await rig.worker.tick(T0 + timedelta(seconds=300)) == 0
    [message] = await rig.messages()
    assert message["status"] == "retrying", "a refused connection may recover"
    assert message["due_at"] == T0 + timedelta(seconds=305)
    assert mailbox.messages == []


def told_now(index: int, sink: Sink) -> dict[str, Any]:
    """A message to send at once (as the configured webhook's are), to cyd's receiver."""
    return {
        "_id": f"msg_now_{index}", "person_id": "cyd", "channel": "webhook",
        "destination": sink.url + "/cyd", "event_type": "risk.changed",
        "cause_event_id": f"risk-{index}", "cause_event_ids": [f"risk-{index}"],
        "payload": {"type": "risk.changed", "data": {"index": index}},
    }  # fmt: skip


async def test_messages_recorded_claimed_are_sent_by_the_next_tick_and_by_no_other(
    rig: Rig, receivers: tuple[SlackStandIn, Mailbox, Sink]
) -> None:
    _, _, sink = receivers
    first = await rig.outbox.record_claimed([told_now(1, sink), told_now(2, sink)], T0)
    assert [m["_id"] for m in first] == ["msg_now_1", "msg_now_2"]
    replayed = await rig.outbox.record_claimed([told_now(2, sink), told_now(3, sink)], T0)
    assert [m["_id"] for m in replayed] == ["msg_now_3"], "a replay is not handed again"
    assert await rig.worker.tick(T0) == 0, "claimed at birth: not due for any other tick"
    rig.worker.hand(first + replayed)
    assert await rig.worker.tick(T0) == 3
    assert await rig.worker.tick(T0 + timedelta(seconds=600)) == 0
    assert [m["status"] for m in await rig.messages()] == ["sent"] * 3
    received = [r.headers["webhook-id"] for r in sink.snapshot()]
    assert received == ["msg_now_1", "msg_now_2", "msg_now_3"]


async def test_a_claimed_message_whose_recorder_died_is_sent_once_its_lease_runs_out(
    rig: Rig, receivers: tuple[SlackStandIn, Mailbox, Sink]
) -> None:
    _, _, sink = receivers
    born = await rig.outbox.record_claimed([told_now(1, sink)], T0)  # ... and the recorder dies
    assert await rig.worker.tick(T0 + timedelta(seconds=59)) == 0, "still leased"
    assert await rig.worker.tick(T0 + timedelta(seconds=60)) == 1
    rig.worker.hand(born)  # had it lived this long, its hold on them has run out too
    assert await rig.worker.tick(T0 + timedelta(seconds=61)) == 0
    assert len(sink.snapshot()) == 1


async def test_a_send_whose_outcome_is_still_being_stored_is_not_sent_again(
    rig: Rig, receivers: tuple[SlackStandIn, Mailbox, Sink]
) -> None:
    _, _, sink = receivers
    rig.worker.hand(await rig.outbox.record_claimed([told_now(1, sink)], T0))
    assert await rig.worker.send_due(T0) == 1  # its outcome is stored behind the next sends
    assert await rig.worker.send_due(T0 + timedelta(seconds=1)) == 0
    await rig.worker.settled()
    assert [m["status"] for m in await rig.messages()] == ["sent"]
    assert len(sink.snapshot()) == 1
