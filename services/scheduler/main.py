"""Scheduler's composition root."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI

from services.scheduler import subscribers
from services.scheduler.adapters.mongo import (
    MongoAssessmentStore,
    MongoLease,
    ensure_history_indexes,
)
from services.scheduler.adapters.rank_marks import MongoRankMarks
from services.scheduler.adapters.release_outlooks import MongoReleaseOutlooks
from services.scheduler.announcer import RiskAnnouncer
from services.scheduler.config import SchedulerSettings
from services.scheduler.dashboard.feedback_proxy import FeedbackProxy
from services.scheduler.dashboard.live import RiskFeed
from services.scheduler.dashboard.routes import mount_dashboard, vendored_style_hashes
from services.scheduler.dashboard.sessions import MongoSessions
from services.scheduler.domain import RiskPolicy
from services.scheduler.graph_view import GraphView
from services.scheduler.history_checkpoints import HistoryCheckpoints, ensure_checkpoint_indexes
from services.scheduler.history_views import HistoryViews
from services.scheduler.http import risk_router
from services.scheduler.leadership import Leadership
from services.scheduler.live_portfolio import LivePortfolio
from services.scheduler.marks_keeper import MarksKeeper
from services.scheduler.mirror import AssessmentMirror
from services.scheduler.projections import MongoWorkStore
from services.scheduler.reconcile import reconcile
from services.scheduler.release_watch import ReleaseWatch
from services.scheduler.report_http import ReportReader, report_router
from services.scheduler.report_render import style_hash as report_style_hash
from services.scheduler.timer import RecheckTimer
from services.scheduler.views import RiskViews
from shared.auth import require
from shared.batch_publishing import AtomicBatches
from shared.consumer import Subscription
from shared.publishing import JetStreamPublisher
from shared.runtime import ServiceRuntime
from shared.server import serve


def policy_from(settings: SchedulerSettings) -> RiskPolicy:
    return RiskPolicy(
        stale_after_days=settings.stale_after_days,
        near_target_days=settings.near_target_days,
        off_track_slip_days=settings.off_track_slip_days,
    )


def clock() -> datetime:
    return datetime.now(UTC)


def create_app(settings: SchedulerSettings | None = None) -> FastAPI:
    settings = settings or SchedulerSettings()
    runtime = ServiceRuntime(settings)
    policy = policy_from(settings)
    store = MongoWorkStore(runtime.db)
    publisher = JetStreamPublisher(runtime.broker)
    live = LivePortfolio.empty(policy)
    mirror = AssessmentMirror(MongoAssessmentStore(runtime.db, settings.history_retention_days))
    feed = RiskFeed(runtime.telemetry.meter)
    # Atomic batches to the RISK stream: one sync a batch of announcements, not one each.
    batches = AtomicBatches(lambda: runtime.broker.connection, runtime.telemetry.tracer)
    releases = ReleaseWatch(
        MongoReleaseOutlooks(runtime.db),
        publisher,
        runtime.telemetry,
        settings.release_step_days,
        batches,
    )
    checkpoints = HistoryCheckpoints(runtime.db, settings.history_checkpoint_days)
    announcer = RiskAnnouncer(
        live, mirror, publisher, runtime.telemetry, feed, releases, checkpoints, store, batches
    )
    timer = RecheckTimer(
        announcer,
        MongoLease(runtime.db),
        settings.recheck_interval_seconds,
        settings.lease_ttl_seconds,
    )
    marks = MarksKeeper(
        mirror, MongoRankMarks(runtime.db), settings.rank_marks_interval_seconds, clock
    )

    subscriptions: list[Subscription] = []

    def register_subscribers() -> list[Subscription]:
        """Once: registered subscribers start with the broker, so only a leader registers."""
        if not subscriptions:
            subscriptions.extend(
                subscribers.register(
                    runtime.broker, settings, store, announcer, publisher, runtime.telemetry
                )
            )
        return subscriptions

    async def lead() -> None:
        await reconcile(store, announcer, policy, clock())
        for subscription in register_subscribers():
            await subscription.start()
        await timer.start()
        await marks.start()

    async def stand_by() -> None:
        await marks.stop()
        await timer.stop()
        for subscription in subscriptions:
            await subscription.stop()

    leadership = Leadership(
        MongoLease(runtime.db), timer.holder, settings.leader_lease_seconds, lead, stand_by
    )
    runtime.on_start.append(store.ensure_indexes)
    sessions = MongoSessions(runtime.db, clock)
    runtime.auth.sessions = sessions
    runtime.on_start.append(sessions.ensure_indexes)

    async def ensure_history() -> None:
        await ensure_history_indexes(runtime.db, settings.history_retention_days)
        await ensure_checkpoint_indexes(runtime.db, settings.history_retention_days)

    runtime.on_start.append(ensure_history)
    runtime.after_start.append(leadership.start)
    runtime.on_stop.append(leadership.stop)
    runtime.on_stop.append(checkpoints.stop)
    runtime.readiness["role"] = leadership.ready
    runtime.style_hashes = (*vendored_style_hashes(), report_style_hash())
    app = runtime.create_app("Slipstream scheduler")
    # For ``slipstream docs``, which never starts the broker.
    app.state.register_subscribers = register_subscribers
    views = RiskViews(runtime.db), GraphView(runtime.db), HistoryViews(runtime.db)
    read = [require("read")]
    app.include_router(risk_router(*views), dependencies=read)
    app.include_router(report_router(ReportReader(runtime.db)), dependencies=read)
    proxy = FeedbackProxy(settings.feedback_url, runtime.telemetry.tracer, settings.feedback_token)
    mount_dashboard(app, feed, sessions, proxy, views[0].verdicts)
    return app


def run() -> None:
    settings = SchedulerSettings()
    serve(
        lambda: create_app(settings),
        settings.host,
        settings.port,
        "SCHEDULER_PORT",
        settings.port_file,
    )
