"""A weekly report subscription: a durable timer row falls due, the report is fetched from a
scheduler stand-in over HTTP and sent once on Slack, by email and by signed webhook.

The clock is passed to every tick, so the due row is reached without waiting for Monday.
"""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from opentelemetry.metrics import NoOpMeter
from opentelemetry.trace import NoOpTracer
from pymongo import AsyncMongoClient

from services.notifier.adapters.channels import HttpChannels, SmtpChannel
from services.notifier.adapters.digests import DIGESTS, TOLD, MongoDigestWindows, MongoToldLevels
from services.notifier.adapters.directory import MongoDirectory
from services.notifier.adapters.outbox import MongoOutbox
from services.notifier.adapters.scheduler_reports import HttpReports
from services.notifier.domain.throttle import ThrottlePolicy
from services.notifier.outbox_worker import OutboxWorker
from services.notifier.report_runs import ReportRuns
from services.notifier.schemas import PersonBody, SubscriptionBody
from shared.standard_webhooks import signature_matches
from tests.support.notifier_receivers import Mailbox, SlackStandIn, slack_stand_in, smtp_server
from tests.support.receivers import Sink, http_sink

pytestmark = pytest.mark.integration

SECRET = "whsec_cmVwb3J0LXNlY3JldA=="
WEDNESDAY = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
MONDAY_NINE_BERLIN = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
FIGURES = {"releases": [], "newly_at_risk": [{"item_id": "github:acme/web#7"}], "recovered": []}


@dataclass
class SchedulerStandIn:
    url: str = ""
    down: bool = False
    asked: list[str] = field(default_factory=list)


@pytest.fixture
def scheduler() -> Iterator[SchedulerStandIn]:
    stand_in = SchedulerStandIn()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            stand_in.asked.append(query["format"][0])
            kind, body = {
                "json": ("application/json", json.dumps(FIGURES)),
                "html": ("text/html", "<h1>Weekly status</h1>"),
                "md": ("text/markdown", "# Weekly status"),
            }[query["format"][0]]
            status = 503 if stand_in.down else 200
            self.send_response(status)
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stand_in.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield stand_in
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Rig:
    runs: ReportRuns
    worker: OutboxWorker
    db: Any


@pytest.fixture
async def rig(
    mongodb_url: str, unique: str, scheduler: SchedulerStandIn
) -> AsyncIterator[tuple[Rig, SlackStandIn, Mailbox, Sink]]:
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_url, tz_aware=True)
    db = mongo[f"report_{unique}"]
    with slack_stand_in() as slack, smtp_server() as mailbox, http_sink() as sink:
        async with httpx.AsyncClient(timeout=5.0) as client, HttpChannels(5.0) as http:
            directory, outbox = MongoDirectory(db), MongoOutbox(db["notifications"])
            windows, told = MongoDigestWindows(db[DIGESTS]), MongoToldLevels(db[TOLD])
            worker = OutboxWorker(
                directory, windows, told, outbox, http,
                SmtpChannel(mailbox.url, "slipstream@example.com", 5.0), ThrottlePolicy(),
                NoOpTracer(), NoOpMeter("test"),
            )  # fmt: skip
            runs = ReportRuns(
                directory.report_timers, directory, outbox, HttpReports(client, scheduler.url)
            )
            channels = {
                "slack": {"webhook_url": slack.url},
                "email": {"address": "lead@example.com"},
                "webhook": {"url": sink.url + "/lead", "secret": SECRET},
            }
            body = {"name": "Lead", "timezone": "Europe/Berlin", "channels": channels}
            await directory.put_person("lead", PersonBody.model_validate(body))
            for channel in channels:
                subscription = {"person_id": "lead", "channel": channel,
                                "filter": {"events": ["report"]},
                                "schedule": {"weekday": "monday", "hour": 9}}  # fmt: skip
                await directory.add_subscription(
                    SubscriptionBody.model_validate(subscription), now=WEDNESDAY
                )
            yield Rig(runs, worker, db), slack, mailbox, sink
    await mongo.drop_database(f"report_{unique}")
    await mongo.close()


async def test_a_due_report_timer_sends_the_report_once_on_each_channel(
    rig: tuple[Rig, SlackStandIn, Mailbox, Sink],
) -> None:
    app, slack, mailbox, sink = rig
    assert await app.runs.tick(MONDAY_NINE_BERLIN - timedelta(seconds=1)) == 0
    assert await app.runs.tick(MONDAY_NINE_BERLIN) == 3
    assert await app.worker.tick(MONDAY_NINE_BERLIN) == 3
    assert await app.runs.tick(MONDAY_NINE_BERLIN + timedelta(minutes=5)) == 0

    assert slack.accepted[0]["text"].startswith("Weekly delivery report: 0 releases")
    (mail,) = mailbox.messages
    assert mail["Subject"] == "[Slipstream] Weekly delivery report"
    html = next(p for p in mail.walk() if p.get_content_type() == "text/html")
    assert "<h1>Weekly status</h1>" in html.get_payload(decode=True).decode()
    (hook,) = sink.snapshot()
    assert json.loads(hook.body) == {"type": "notify.report", "data": FIGURES}
    assert signature_matches(
        SECRET, hook.headers["webhook-id"], int(hook.headers["webhook-timestamp"]),
        hook.body, hook.headers["webhook-signature"],
    )  # fmt: skip
    timers = [d async for d in app.db["notifier_report_timers"].find({})]
    assert {t["run_at"] for t in timers} == {MONDAY_NINE_BERLIN + timedelta(days=7)}


async def test_while_the_scheduler_is_away_the_timer_waits_and_the_report_is_not_lost(
    rig: tuple[Rig, SlackStandIn, Mailbox, Sink], scheduler: SchedulerStandIn
) -> None:
    app, slack, mailbox, sink = rig
    scheduler.down = True
    assert await app.runs.tick(MONDAY_NINE_BERLIN) == 0
    scheduler.down = False
    assert await app.runs.tick(MONDAY_NINE_BERLIN + timedelta(seconds=30)) == 0, "not yet due"
    assert await app.runs.tick(MONDAY_NINE_BERLIN + timedelta(seconds=61)) == 3
    assert await app.worker.tick(MONDAY_NINE_BERLIN + timedelta(seconds=61)) == 3
    assert (len(slack.accepted), len(mailbox.messages), len(sink.snapshot())) == (1, 1, 1)
