"""Scheduled reports: a due timer fetches the report, records it in the outbox, moves on.

The order makes it exactly once: the message (id from the subscription and the scheduled
instant) is recorded before the timer advances, so a crash in between re-records the same
id (a no-op) and then advances; two replicas both recording meet the same id. While the
scheduler is unreachable the timer is tried again a minute later, with the same id.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import httpx

from services.notifier.adapters.directory import MongoDirectory
from services.notifier.adapters.outbox import MongoOutbox
from services.notifier.adapters.report_timers import MongoReportTimers
from services.notifier.adapters.scheduler_reports import HttpReports
from services.notifier.domain.people import ChannelKind, Person
from services.notifier.domain.report_message import TITLE, report_payload
from services.notifier.domain.report_schedule import ReportSchedule, next_run
from shared.events import derive_event_id

logger = logging.getLogger(__name__)
RETRY = timedelta(seconds=60)


class ReportRuns:
    def __init__(
        self,
        timers: MongoReportTimers,
        directory: MongoDirectory,
        outbox: MongoOutbox,
        reports: HttpReports,
    ) -> None:
        self.timers, self.directory, self.outbox, self.reports = timers, directory, outbox, reports

    async def tick(self, now: datetime) -> int:
        due = await self.timers.due(now)
        if not due:
            return 0
        index = await self.directory.index()
        recorded = 0
        for row in due:
            person = index.people.get(row["person_id"])
            if person is None:
                await self.timers.drop({"_id": row["_id"]})
                continue
            try:
                message = await self.message(row, person)
            except httpx.HTTPError as exc:
                logger.warning("report unavailable", extra={"fields": {"error": repr(exc)}})
                await self.timers.retry_at(row, now + RETRY)
                continue
            recorded += await self.outbox.record_all([message], now)
            schedule = ReportSchedule(row["weekday"], row["hour"])
            await self.timers.advance(row, next_run(schedule, person.timezone, row["run_at"]))
        return recorded

    async def message(self, row: dict[str, Any], person: Person) -> dict[str, Any]:
        channel = ChannelKind(row["channel"])
        html = markdown = ""
        if channel is ChannelKind.EMAIL:
            html, markdown, figures = (
                await self.reports.text("html"),
                await self.reports.text("md"),
                {},
            )
        else:
            figures = await self.reports.figures()
        destinations = {
            ChannelKind.SLACK: person.channels.slack_webhook_url,
            ChannelKind.EMAIL: person.channels.email_address,
            ChannelKind.WEBHOOK: person.channels.webhook_url,
        }
        return {
            "_id": "msg_" + derive_event_id("report", row["_id"], row["run_at"].isoformat()),
            "person_id": person.person_id,
            "channel": channel.value,
            "destination": destinations[channel],
            "event_type": "notify.report",
            "cause_event_ids": [],
            "headline": TITLE,
            "payload": report_payload(channel, figures, html, markdown, self.reports.link()),
        }
