"""Scheduler's composition root."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI

from services.scheduler import subscribers
from services.scheduler.adapters.mongo import MongoAssessmentStore, MongoLease
from services.scheduler.announcer import RiskAnnouncer
from services.scheduler.config import SchedulerSettings
from services.scheduler.domain import RiskPolicy
from services.scheduler.graph_view import GraphView
from services.scheduler.http import risk_router
from services.scheduler.mirror import AssessmentMirror
from services.scheduler.projections import MongoWorkStore
from services.scheduler.reconcile import reconcile
from services.scheduler.state import LivePortfolio
from services.scheduler.timer import RecheckTimer
from services.scheduler.views import RiskViews
from shared.publishing import JetStreamPublisher
from shared.runtime import ServiceRuntime
from shared.server import serve


def policy_from(settings: SchedulerSettings) -> RiskPolicy:
    return RiskPolicy(
        stale_after_days=settings.stale_after_days,
        near_target_days=settings.near_target_days,
        off_track_slip_days=settings.off_track_slip_days,
    )


def create_app(settings: SchedulerSettings | None = None) -> FastAPI:
    settings = settings or SchedulerSettings()
    runtime = ServiceRuntime(settings)
    policy = policy_from(settings)
    store = MongoWorkStore(runtime.db)
    publisher = JetStreamPublisher(runtime.broker)
    live = LivePortfolio.empty(policy)
    mirror = AssessmentMirror(MongoAssessmentStore(runtime.db))
    announcer = RiskAnnouncer(live, mirror, publisher, runtime.telemetry)
    timer = RecheckTimer(
        announcer,
        MongoLease(runtime.db),
        settings.recheck_interval_seconds,
        settings.lease_ttl_seconds,
    )

    async def load() -> None:
        await store.ensure_indexes()
        await reconcile(store, announcer, policy, datetime.now(UTC))

    runtime.on_start.extend([load, timer.start])
    runtime.on_stop.append(timer.stop)
    subscribers.register(runtime.broker, settings, store, announcer, publisher, runtime.telemetry)
    app = runtime.create_app("Slipstream scheduler")
    app.include_router(risk_router(RiskViews(runtime.db), GraphView(runtime.db)))
    return app


def run() -> None:
    settings = SchedulerSettings()
    serve(lambda: create_app(settings), settings.host, settings.port, "SCHEDULER_PORT")
