"""Rebuild the scheduler's projections by replaying the event streams into empty collections.

The replay (``shared.rebuild``) goes through the same guarded writes as the live
subscribers, then the engine recomputes every assessment from what was projected. Risk
history is the RISK stream itself, written as the announcer wrote it, and so is what was
announced of each release (its last ``ReleaseRiskChangedV1``; not compared by ``differences``,
since between announcements the live record follows the forecast, which no event carries).
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from nats.js import JetStreamContext
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from services.scheduler.adapters.mongo import MongoAssessmentStore, ensure_history_indexes
from services.scheduler.adapters.release_outlooks import MongoReleaseOutlooks
from services.scheduler.domain import RiskPolicy
from services.scheduler.handlers import load_portfolio
from services.scheduler.history import history_document
from services.scheduler.history_checkpoints import CHECKPOINTS
from services.scheduler.mirror import ANNOUNCED_AS, AssessmentMirror
from services.scheduler.projections import MongoWorkStore
from services.scheduler.release_watch import record_of
from shared import rebuild as generic
from shared.events import ReleaseRiskChangedV1, RiskChangedV1
from shared.rebuild import RebuildReport, replay
from shared.subjects import RISK, SCHEDULER_DEMAND, SCHEDULER_WORK, ConsumerSpec

logger = logging.getLogger(__name__)

REPLAYED = (SCHEDULER_WORK, SCHEDULER_DEMAND)
# Only the filter and stream are used: replays read through an ephemeral consumer.
RISK_HISTORY = ConsumerSpec("scheduler-history-replay", RISK.name, RiskChangedV1.subject)
RELEASE_HISTORY = ConsumerSpec("scheduler-release-replay", RISK.name, ReleaseRiskChangedV1.subject)
COLLECTIONS = (*MongoWorkStore.COLLECTIONS, "assessments", "assessment_history")
# History outlives the RISK stream's retention: a rebuild adds to it and never replaces it.
MERGED = "assessment_history"
# What was announced of each release: the last announcement on the stream, merged like
# history (a record the live side has is at least as new as the stream's last word).
ANNOUNCED = "release_outlooks"

__all__ = ["COLLECTIONS", "RebuildReport", "differences", "rebuild_into", "replay", "swap"]


async def rebuild_into(
    db: AsyncDatabase[dict[str, Any]],
    js: JetStreamContext,
    policy: RiskPolicy,
    today: date,
    batch_size: int = 500,
    history_retention_days: int = 400,
) -> RebuildReport:
    """Replay into ``db`` (expected empty) and store assessments computed for ``today``."""
    report = RebuildReport()
    store = MongoWorkStore(db)
    await store.ensure_indexes()
    await ensure_history_indexes(db, history_retention_days)
    for spec in REPLAYED:
        async for events in replay(js, spec, batch_size, report):
            await store.apply(events)
    assessments = MongoAssessmentStore(db)
    announced: dict[str, str] = {}
    async for events in replay(js, RISK_HISTORY, batch_size, report):
        changes = [e for e in events if isinstance(e, RiskChangedV1)]
        await assessments.record([history_document(e) for e in changes])
        announced.update((e.item_id, e.event_id) for e in changes)
    await replay_announced_releases(db, js, batch_size, report)
    portfolio = await load_portfolio(store, policy)
    portfolio.assess_all(today)
    mirror = AssessmentMirror(assessments)
    result = mirror.diff(portfolio)
    for item_id, document in result.upserts.items():
        # Each item's last announcement on the stream, as the announcer stored it.
        if item_id in announced:
            document[ANNOUNCED_AS] = announced[item_id]
    async with mirror.filling(result):
        await mirror.commit(result)
    report.rebuilt["assessments"] = len(result.upserts)
    return report


async def replay_announced_releases(
    db: AsyncDatabase[dict[str, Any]], js: JetStreamContext, batch_size: int, report: RebuildReport
) -> None:
    """Each release's last announcement on the RISK stream, as the announcer recorded it."""
    last: dict[str, dict[str, Any]] = {}
    async for events in replay(js, RELEASE_HISTORY, batch_size, report):
        for event in events:
            if isinstance(event, ReleaseRiskChangedV1):
                last[event.release_id] = record_of(event)
    await MongoReleaseOutlooks(db).save(list(last.values()))


async def differences(
    live: AsyncDatabase[dict[str, Any]], rebuilt: AsyncDatabase[dict[str, Any]]
) -> dict[str, list[str]]:
    """Per collection, the ids whose documents are not identical on both sides."""
    return await generic.differences(live, rebuilt, COLLECTIONS, merged=(MERGED,))


async def swap(client: AsyncMongoClient[dict[str, Any]], rebuilt: str, live: str) -> None:
    """Move the rebuilt collections over the live ones (``shared.rebuild.swap``).

    History is merged instead (entries beyond the stream's retention stay), and so is what was
    announced of each release; history's checkpoints are dropped, to be rebuilt from it. Run it
    with the scheduler stopped, and restart it afterwards so its start-up reconciliation sees the
    new assessments.
    """
    entries = await client[rebuilt][MERGED].find({}).to_list()
    await MongoAssessmentStore(client[live]).record(entries)
    # Checkpoints summarise the history before the merge: the scheduler builds them anew.
    await client[live].drop_collection(CHECKPOINTS)
    announced = await client[rebuilt][ANNOUNCED].find({}).to_list()
    await MongoReleaseOutlooks(client[live]).restore(announced)
    await generic.swap(client, rebuilt, live, [c for c in COLLECTIONS if c != MERGED])
