"""Announce a release's forecast crossing its due date (``ReleaseRiskChangedV1``), once.

Runs inside the announcer's pass, after the batch's risk changes are published and before its
assessments are stored, so a failure repeats the batch and this check with it. It looks at the
releases of the items whose stored assessment the pass rewrites or removes, before and after:
a forecast, a due date or a membership that moves always rewrites a member's document. The
start-up reconciliation looks at every release.

What was announced is stored per release (``release_outlooks``), as the stored assessment is
for an item, and the decision (``domain.release_crossing``) compares the engine with it: a
retried batch, a restart and a second replica all decide the same. The event id chains the
previous announcement's id with the new state and forecast, so a redelivered batch publishes
the same id (JetStream keeps one) while a release that slips, recovers and slips again gets a
new one each time. Between announcements the record follows the forecast, which is what the
next event quotes as ``previous_forecast``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from services.scheduler.documents import from_bson_date, to_bson_date
from services.scheduler.domain import Portfolio
from services.scheduler.domain.release_crossing import Announced, ReleaseOutlook, is_news
from services.scheduler.mirror import Reassessment
from services.scheduler.ports import ReleaseOutlookStore
from shared.batch_publishing import AtomicBatches, publish_in_batches
from shared.events import ReleaseRiskChangedV1, Source, derive_event_id
from shared.publishing import EventPublisher
from shared.telemetry import Telemetry, log_fields

logger = logging.getLogger(__name__)

Document = dict[str, Any]
# The event names the worst offenders; a release of 2,000 late items does not need them all.
THREATS_LISTED = 50


def touched_releases(result: Reassessment, stored: Mapping[str, Document]) -> set[str]:
    """Releases a member joined, left or moved in: from the new and the stored documents."""
    found = {d.get("release_id") for d in result.upserts.values()}
    for item_id in (*result.upserts, *result.removals):
        found.add(stored.get(item_id, {}).get("release_id"))
    return {rid for rid in found if rid}


def outlook_of(release: Document | None, forecast: date | None) -> ReleaseOutlook:
    """Only an open release has a date to be late for (as the engine's ``ReleaseBook``)."""
    release = release or {}
    is_open = release.get("state", "open") == "open"
    target = from_bson_date(release.get("due")) if is_open else None
    return ReleaseOutlook(target=target, forecast=forecast)


def worst_first(portfolio: Portfolio, item_ids: tuple[str, ...]) -> tuple[str, ...]:
    """Latest forecast first, then highest score, then id: the first name is the biggest slip."""

    def key(item_id: str) -> tuple[int, float, str]:
        found = portfolio.assessment(item_id)
        if found is None:
            return (0, 0.0, item_id)
        day = 0 if found.forecast is None else found.forecast.toordinal()
        return (-day, -found.score, item_id)

    return tuple(sorted(item_ids, key=key))[:THREATS_LISTED]


def announced_in(record: Document | None) -> Announced | None:
    if record is None or record.get("event_id") is None:
        return None
    return Announced(bool(record["slipping"]), from_bson_date(record.get("announced_forecast")))


def record_of(event: ReleaseRiskChangedV1) -> Document:
    """The record an announcement leaves; made from the event alone, so a replay of the RISK
    stream (``rebuild``) writes what the announcer did."""
    return {
        "_id": event.release_id,
        "slipping": event.slipping,
        "target": to_bson_date(event.target),
        "forecast": to_bson_date(event.forecast),
        "announced_forecast": to_bson_date(event.forecast),
        "event_id": event.event_id,
        "at": event.occurred_at,
    }


def release_risk_changed(
    release_id: str,
    release: Document | None,
    outlook: ReleaseOutlook,
    threatened_by: tuple[str, ...],
    record: Document | None,
    now: datetime,
    titles: Mapping[str, str],
) -> ReleaseRiskChangedV1:
    release = release or {}
    previous = None if record is None else record.get("event_id")
    forecast = None if outlook.forecast is None else outlook.forecast.isoformat()
    return ReleaseRiskChangedV1(
        event_id=derive_event_id(
            "release-risk", release_id, previous or "", str(outlook.slipping), forecast or ""
        ),
        occurred_at=now,
        source=Source.SLIPSTREAM,
        release_id=release_id,
        name=release.get("name") or release_id,
        slipping=outlook.slipping,
        target=outlook.target,
        forecast=outlook.forecast,
        previous_forecast=None if record is None else from_bson_date(record.get("forecast")),
        slip_days=max(outlook.slip_days, 0),
        team=release.get("team"),
        url=release.get("url"),
        threatened_by=threatened_by if outlook.slipping else (),
        titles=dict(titles) if outlook.slipping else {},
    )


class ReleaseWatch:
    def __init__(
        self,
        store: ReleaseOutlookStore,
        publisher: EventPublisher,
        telemetry: Telemetry,
        step_days: int = 0,
        batches: AtomicBatches | None = None,
    ) -> None:
        self.store = store
        self.publisher = publisher
        self.batches = batches
        self.step_days = step_days
        self.tracer = telemetry.tracer
        self.published = telemetry.meter.create_counter(
            "slipstream.release.risk_changes_published", unit="{event}", description="by state"
        )

    async def announce(
        self,
        trigger: str,
        portfolio: Portfolio,
        result: Reassessment,
        stored: Mapping[str, Document],
        now: datetime,
    ) -> list[ReleaseRiskChangedV1]:
        """Publish the crossings among the releases this pass touched, then record them."""
        with self.tracer.start_as_current_span("announce release risk") as span:
            events = await self._announce(trigger, portfolio, result, stored, now)
            span.set_attribute("slipstream.release.changes", len(events))
        return events

    async def _announce(
        self,
        trigger: str,
        portfolio: Portfolio,
        result: Reassessment,
        stored: Mapping[str, Document],
        now: datetime,
    ) -> list[ReleaseRiskChangedV1]:
        ids = (
            await self.store.release_ids()
            if trigger == "reconcile"
            else touched_releases(result, stored)
        )
        if not ids:
            return []
        releases, records = await asyncio.gather(self.store.releases(ids), self.store.outlooks(ids))
        events, writes = [], []
        for rid in sorted(ids):
            forecast, threatening = portfolio.release_forecast(rid)
            outlook, record = outlook_of(releases.get(rid), forecast), records.get(rid)
            if is_news(announced_in(record), outlook, self.step_days):
                threats = worst_first(portfolio, threatening)
                event = release_risk_changed(
                    rid, releases.get(rid), outlook, threats, record, now, portfolio.titles(threats)
                )
                events.append(event)
                writes.append(record_of(event))
            elif record is None or from_bson_date(record.get("forecast")) != outlook.forecast:
                base = record or {"_id": rid, "slipping": False, "event_id": None}
                writes.append({**base, "forecast": to_bson_date(outlook.forecast)})
        await publish_in_batches(self.batches, self.publisher, [(e, None) for e in events])
        await asyncio.gather(
            self.store.save([w for w in writes if w["_id"] not in records], fresh=True),
            self.store.save([w for w in writes if w["_id"] in records]),
        )
        for event in events:
            self.published.add(1, {"slipping": event.slipping, "trigger": trigger})
            logger.info(
                "release risk changed",
                extra=log_fields(
                    release_id=event.release_id,
                    slipping=event.slipping,
                    forecast=str(event.forecast),
                    target=str(event.target),
                    trigger=trigger,
                ),
            )
        return events
