"""Rebuild feedback's projections by replaying the streams into empty collections.

Replayed (``shared.rebuild``): feedback received (the same guarded upserts as live), WORK
(items and releases), and feedback's own announcements, which are the record of what it did
that cannot be decided again: the loops it closed (``feedback.loop.closable.v1``) and the
surges it announced (``feedback.demand.surged.v1``). Demand is then weighed afresh for every
item any feedback named. What people decided through the API (manual links, organisation
edits) is in no stream: it is copied from live, read for the weighing, and never replaced.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nats.js import JetStreamContext
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from services.feedback.adapters.mongo import MongoFeedbackStore
from services.feedback.adapters.work import MongoWorkProjection
from services.feedback.closing import project_work
from services.feedback.domain.organisations import Organisation
from services.feedback.domain.tag_rules import TagRules
from services.feedback.domain.weighing import DemandRules
from services.feedback.handlers import FEEDBACK_RECORDS, Weighing
from shared import rebuild as generic
from shared.events import DemandSurgedV1, LoopClosableV1
from shared.rebuild import RebuildReport, replay
from shared.subjects import FEEDBACK, FEEDBACK_RECEIVED, FEEDBACK_WORK, ConsumerSpec

Database = AsyncDatabase[dict[str, Any]]

# Decided by people, not by events: copied into the scratch database, left alone by swap.
KEPT = ("feedback_links", "organisations")
COLLECTIONS = tuple(
    c for c in (*MongoFeedbackStore.COLLECTIONS, *MongoWorkProjection.COLLECTIONS) if c not in KEPT
)
# Only the filter and stream are used: replays read through an ephemeral consumer.
LOOPS = ConsumerSpec("feedback-loops-replay", FEEDBACK.name, LoopClosableV1.subject)
SURGES = ConsumerSpec("feedback-surges-replay", FEEDBACK.name, DemandSurgedV1.subject)


async def copy_kept(live: Database, rebuilt: Database) -> None:
    for name in KEPT:
        documents = await live[name].find({}).to_list()
        if documents:
            await rebuilt[name].insert_many(documents)


async def rebuild_into(
    db: Database,
    live: Database,
    js: JetStreamContext,
    rules: DemandRules,
    from_file: Mapping[str, Organisation],
    tags: TagRules | None = None,
    batch_size: int = 500,
) -> RebuildReport:
    """Replay into ``db`` (expected empty), reading people's decisions from ``live``."""
    report = RebuildReport()
    store, work = MongoFeedbackStore(db), MongoWorkProjection(db)
    await store.ensure_indexes()
    await work.ensure_indexes()
    await copy_kept(live, db)
    named: set[str] = set()
    async for events in replay(js, FEEDBACK_RECEIVED, batch_size, report):
        named |= await store.apply(
            [(tags or TagRules()).linked(FEEDBACK_RECORDS(e)) for e in events]
        )
    named |= {d["item_id"] async for d in db["feedback_links"].find({"linked": True})}
    async for events in replay(js, FEEDBACK_WORK, batch_size, report):
        await project_work(events, work)
    async for events in replay(js, LOOPS, batch_size, report):
        await work.record([e for e in events if isinstance(e, LoopClosableV1)])
    async for events in replay(js, SURGES, batch_size, report):
        for surge in (e for e in events if isinstance(e, DemandSurgedV1)):
            await store.save_surge(surge.item_id, surge.occurred_at)
    directory = await Weighing(store, rules, from_file).directory()
    items = sorted(named)
    for first in range(0, len(items), batch_size):
        asked = await store.asked_on(items[first : first + batch_size])
        weighed = {i: rules.weigh([a.feedback for a in on], directory) for i, on in asked.items()}
        await store.save_demands(weighed)
    report.rebuilt["items with demand"] = await db["feedback_demand"].count_documents({})
    return report


async def differences(live: Database, rebuilt: Database) -> dict[str, list[str]]:
    """Per rebuilt collection, the ids whose documents are not identical on both sides."""
    return await generic.differences(live, rebuilt, COLLECTIONS)


async def swap(client: AsyncMongoClient[dict[str, Any]], rebuilt: str, live: str) -> None:
    """Move the rebuilt collections over the live ones; links and organisations stay.

    Run it with the feedback service stopped.
    """
    await generic.swap(client, rebuilt, live, COLLECTIONS)
