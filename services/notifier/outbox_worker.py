"""The delivery loop's one tick: close due digests into the outbox, then send what is due.

Both halves read and write only durable state (windows, outbox, ``due_at`` timers), so a tick
can be run by any replica at any time, and a crash between recording and sending is repaired
by the next tick once the claim's lease runs out.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.metrics import Meter
from opentelemetry.trace import Link, Tracer

from services.notifier.adapters.channels import HttpChannels, SmtpChannel
from services.notifier.adapters.digests import (
    MongoDigestWindows,
    MongoToldLevels,
    change_document,
)
from services.notifier.adapters.directory import MongoDirectory
from services.notifier.adapters.outbox import LEASE, MongoOutbox
from services.notifier.domain.change import Change
from services.notifier.domain.digest import DigestWindow
from services.notifier.domain.email_message import email_content
from services.notifier.domain.message_content import explained_at, headline
from services.notifier.domain.pacing import by_destination, held_due_times, hold_rest_until
from services.notifier.domain.people import ChannelKind, Person
from services.notifier.domain.retry import AttemptResult, Verdict, judge
from services.notifier.domain.send_window import message_id, release_at
from services.notifier.domain.slack_blocks import slack_message
from services.notifier.domain.throttle import ThrottlePolicy
from services.notifier.domain.webhook_message import CONFIGURED_SECRET
from shared.batch_publishing import AtomicBatches, publish_in_batches
from shared.events import (
    Event,
    NotificationFailedV1,
    NotificationSentV1,
    Source,
    derive_event_id,
)
from shared.publishing import EventPublisher
from shared.telemetry import log_fields

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attempt:
    """One send and its verdict, with the send's span to continue when it is announced."""

    message: dict[str, Any]
    result: AttemptResult
    verdict: Verdict
    context: otel_context.Context


class OutboxWorker:
    def __init__(
        self,
        directory: MongoDirectory,
        windows: MongoDigestWindows,
        told: MongoToldLevels,
        outbox: MongoOutbox,
        http: HttpChannels,
        smtp: SmtpChannel | None,
        throttle: ThrottlePolicy,
        tracer: Tracer,
        meter: Meter,
        concurrency: int = 8,
        hold_after_record: float = 0.0,
        configured_secret: str = "",
        publisher: EventPublisher | None = None,
        batches: AtomicBatches | None = None,
        dashboard: str | None = None,
    ) -> None:
        self.directory, self.windows, self.told, self.outbox = directory, windows, told, outbox
        self.http, self.smtp, self.throttle, self.tracer = http, smtp, throttle, tracer
        # Bounds how many destinations are served at once; each is served in order.
        self.pool = asyncio.Semaphore(concurrency)
        self.hold_after_record = hold_after_record  # test-only, see NotifierSettings
        # NOTIFIER_WEBHOOK_SECRET, for the configured webhook's messages (not a person's).
        self.configured_secret = configured_secret
        self.publisher = publisher
        self.batches = batches
        self.dashboard = dashboard  # NOTIFIER_DASHBOARD_URL: messages link items to it
        self.backlog = False  # whether the last tick left due messages unclaimed
        # Messages recorded already claimed (``MongoOutbox.record_claimed``), to send next.
        self.handed: list[dict[str, Any]] = []
        # The last sends' outcomes being stored and announced while the next ones go out.
        self.settling: asyncio.Task[None] | None = None
        self.attempts = meter.create_counter(
            "notifier.outbox.attempts", description="Outbox send attempts by channel and verdict"
        )
        self.digests = meter.create_counter(
            "notifier.digests", description="Due digest windows by what became of them"
        )
        self.notifications = meter.create_counter(
            "notifier.notifications",
            description="Messages that reached a final state, by channel and outcome",
        )

    async def tick(self, now: datetime, batch: int = 100) -> int:
        """One whole tick: what is due is sent, and every outcome stored and announced."""
        sent = await self.send_due(now, batch)
        await self.settled()
        return sent

    async def send_due(self, now: datetime, batch: int = 100) -> int:
        """Send what is due; its outcomes are stored while the next tick already sends.

        Storing a tick's outcomes took about as long as its sends, and the next tick waited
        for it. Nothing depends on it in the meantime: those messages stay leased, so no
        tick claims them again, and only the throttle reads what was sent (see
        ``close_due_windows``). At most one tick's outcomes are in flight.
        """
        with self.tracer.start_as_current_span("notifier outbox tick"):
            started = time.perf_counter()
            recorded = await self.close_due_windows(now)
            if recorded and self.hold_after_record:
                await asyncio.sleep(self.hold_after_record)
            closed = time.perf_counter()
            claimed = await self.outbox.claim_due(now, batch)
            # Taken only now: a tick that failed before this point leaves them for the next.
            handed, self.handed = still_leased(self.handed, now), []
            # A full claim means more is due: the loop ticks again without waiting.
            self.backlog = len(claimed) == batch
            # What fell due before (retries, held runs) goes ahead of what was just recorded.
            claimed += handed
            took = time.perf_counter()
            runs = await asyncio.gather(
                *(self.deliver_in_order(g, now) for g in by_destination(claimed))
            )
            sent = sum(a.verdict.state == "sent" for run in runs for a in run)
            await self.settled()
            self.settling = asyncio.create_task(self.settle_runs(runs, now))
            if claimed:
                # Where a slow tick went: digests, the claim, and sending.
                phases = [round(b - a, 3) for a, b in itertools.pairwise(
                    (started, closed, took, time.perf_counter())
                )]  # fmt: skip
                logger.info(
                    "outbox tick",
                    extra=log_fields(claimed=len(claimed), sent=sent, phases=phases),
                )
            return sent

    async def settled(self) -> None:
        """Wait until the outcomes of every send so far are stored and announced."""
        if self.settling is not None:
            settling, self.settling = self.settling, None
            await settling

    def hand(self, messages: list[dict[str, Any]]) -> None:
        """Messages recorded claimed for this worker: the next tick sends them."""
        self.handed += messages

    async def deliver_in_order(
        self, messages: list[dict[str, Any]], now: datetime
    ) -> list[Attempt]:
        """One destination's messages, one at a time; the rest wait if one has to.

        The run is settled in one write after its last send, not one write per send: a crash
        in between resends those messages under the same id once their claim expires, which
        a receiver dedupes, exactly as for a crash between any one send and its settle.
        """
        async with self.pool:
            attempted: list[Attempt] = []
            for index, message in enumerate(messages):
                attempted.append(attempt := await self.attempt(message, now))
                hold = hold_rest_until(message["channel"], attempt.verdict, now)
                rest = [m["_id"] for m in messages[index + 1 :]]
                if hold is not None and rest:
                    await self.outbox.hold(rest, held_due_times(hold, len(rest)))
                    break
            return attempted

    async def settle_runs(self, runs: Sequence[list[Attempt]], now: datetime) -> None:
        """Store each run's outcomes, then announce them: an outcome is told once stored."""
        try:
            await asyncio.gather(*(self.settle(run, now) for run in runs))
            await self.announce([a for run in runs for a in run], now)
        except Exception:
            # Unsettled messages stay leased and are sent again under the same id once the
            # lease runs out, which a receiver dedupes: nothing is lost.
            logger.exception("could not store the outcomes of sent notifications")

    async def settle(self, attempted: list[Attempt], now: datetime) -> None:
        """Store the run's outcomes, in the last send's trace and linked to the others'."""
        if not attempted:
            return
        links = [Link(trace.get_current_span(a.context).get_span_context()) for a in attempted]
        with self.tracer.start_as_current_span(
            "notifier settle", context=attempted[-1].context, links=links[:-1]
        ) as span:
            span.set_attribute("messaging.batch.message_count", len(attempted))
            outcomes = [(a.message["_id"], a.result, a.verdict) for a in attempted]
            await self.outbox.settle_all(outcomes, now)

    async def close_due_windows(self, now: datetime) -> int:
        """Due windows become outbox messages, in a few bulk round trips per tick.

        Messages are recorded before the windows are closed, and a change already recorded
        for this person and channel is left out: so a tick that dies in between, or a window
        another replica added to while it was being closed, never lists a change twice.
        """
        due = await self.windows.due(now)
        if not due:
            return 0
        await self.settled()  # the throttle counts what was sent: all of it stored
        index = await self.directory.index()
        routes = [(w.person_id, w.channel) for _, w in due]
        since = now - timedelta(seconds=self.throttle.window_seconds)
        sent = await self.outbox.sent_since_all(routes, since)
        causes = [c.cause_id for _, w in due for c in w.ranked()]
        recorded = await self.outbox.recorded_causes(routes, causes)
        records, told, held, closing = [], [], [], []
        for version, window in due:
            already = recorded.get((window.person_id, window.channel), set())
            person = index.people.get(window.person_id)
            changes = [c for c in window.ranked() if c.cause_id not in already]
            if person is None or not changes:
                closing.append((window, version))  # gone, or everything cancelled out
                self.digests.add(1, {"outcome": "cancelled" if person else "no_person"})
                continue
            recent = sent.get((person.person_id, window.channel), [])
            at = release_at(window, person, recent, self.throttle, now)
            if at > now:
                held.append((window, version, at))  # held, still collecting
                self.digests.add(1, {"outcome": "held"})
                continue
            records.append(rendered(window, version, person, changes, self.dashboard))
            told.append(window)
            closing.append((window, version))
            self.digests.add(1, {"outcome": "recorded"})
        count = await self.outbox.record_all(records, now)
        await self.told.remember_all(told)
        await self.windows.postpone_all(held)
        await self.windows.close_all(closing)
        return count

    async def attempt(self, message: dict[str, Any], now: datetime) -> Attempt:
        cause = propagate.extract(message.get("trace") or {})
        with self.tracer.start_as_current_span("notifier send", context=cause) as span:
            span.set_attribute("notifier.channel", message["channel"])
            span.set_attribute("notifier.message_id", message["_id"])
            result = await self.send(message, now)
            verdict = judge(result, message["attempts"] + 1, now)
            self.attempts.add(1, {"channel": message["channel"], "verdict": verdict.state})
            if verdict.state != "retrying":
                self.notifications.add(1, {"channel": message["channel"], "outcome": verdict.state})
            fields = {"id": message["_id"], "state": verdict.state, "code": result.status_code}
            logger.info("notification attempt", extra={"fields": fields})
            return Attempt(message, result, verdict, trace.set_span_in_context(span))

    async def announce(self, attempts: Sequence[Attempt], now: datetime) -> None:
        """``notify.notification.sent/failed.v1`` for each final outcome of a message with one
        cause, in the send's trace as its consequence; a batch of them is one sync."""
        if self.publisher is None:
            return
        outcomes = [(event, a.context) for a in attempts if (event := outcome(a, now))]
        try:
            await publish_in_batches(self.batches, self.publisher, outcomes)
        except Exception:
            # The sends themselves are settled; a lost announcement must not resend them.
            logger.exception("could not publish the notification outcomes")

    async def send(self, message: dict[str, Any], now: datetime) -> AttemptResult:
        channel = message["channel"]
        if channel == ChannelKind.SLACK:
            return await self.http.slack(message)
        if channel == ChannelKind.EMAIL:
            if self.smtp is None:
                return AttemptResult(None, error="NOTIFIER_SMTP_URL is not set")
            return await self.smtp.email(message)
        if message.get("signing") == CONFIGURED_SECRET:
            return await self.http.webhook(message, self.configured_secret, now)
        person = (await self.directory.index()).people.get(message["person_id"])
        secret = person.channels.webhook_secret if person else None
        if secret is None:
            return AttemptResult(410, error="the person or their webhook secret is gone")
        return await self.http.webhook(message, secret, now)


def outcome(attempt: Attempt, now: datetime) -> Event | None:
    """What a final attempt at a message with one cause tells the bus; None while retrying."""
    message, result, verdict = attempt.message, attempt.result, attempt.verdict
    cause = message.get("cause_event_id")
    if cause is None or verdict.state == "retrying":
        return None
    attempts = message["attempts"] + 1
    common = {
        "event_id": derive_event_id(message["_id"], verdict.state, str(attempts)),
        "occurred_at": now,
        "source": Source.SLIPSTREAM,
        "notification_id": message["_id"],
        "cause_event_id": cause,
        "destination": str(message["destination"]),
        "attempts": attempts,
    }
    if verdict.state == "sent":
        return NotificationSentV1(**common, status_code=result.status_code or 200)
    return NotificationFailedV1(**common, error=result.error or verdict.state)


def still_leased(messages: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """The handed messages this worker may still send: its claim on them has not run out.

    One held in memory for longer (a long backlog) may already be claimed by another tick,
    which sends it; sending it here too would tell the receiver twice.
    """
    return [m for m in messages if m["due_at"] - now > LEASE / 2]


def rendered(
    window: DigestWindow,
    version: int,
    person: Person,
    changes: Sequence[Change],
    dashboard: str | None = None,
) -> dict[str, Any]:
    channel = ChannelKind(window.channel)
    destination: str | None
    payload: dict[str, Any]
    if channel is ChannelKind.SLACK:
        destination, payload = person.channels.slack_webhook_url, slack_message(changes, dashboard)
    elif channel is ChannelKind.EMAIL:
        mail = email_content(changes, dashboard)
        destination, payload = person.channels.email_address, mail.__dict__
    else:
        items = [
            json.loads(json.dumps(change_document(c), default=str))
            | ({"explained": explained_at(c, dashboard)} if dashboard else {})
            for c in changes
        ]
        destination = person.channels.webhook_url
        payload = {"type": "notify.digest", "data": {"person_id": person.person_id, "items": items}}
    return {
        "_id": message_id(window, version),
        "person_id": person.person_id,
        "channel": channel.value,
        "destination": destination,
        "event_type": "notify.digest",
        "cause_event_ids": [c.cause_id for c in changes],
        # What the message said, in a line: the log is read by people asking "was X told?".
        "headline": headline(changes),
        "payload": payload,
    }
