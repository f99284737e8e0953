"""Notifier's composition root."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from services.notifier import subscribers
from services.notifier.adapters.channels import HttpChannels, SmtpChannel
from services.notifier.adapters.digests import DIGESTS, TOLD, MongoDigestWindows, MongoToldLevels
from services.notifier.adapters.directory import MongoDirectory
from services.notifier.adapters.mongo import MongoNotificationLog
from services.notifier.adapters.outbox import MongoOutbox
from services.notifier.adapters.scheduler_reports import HttpReports
from services.notifier.config import NotifierSettings
from services.notifier.delivery_loop import DeliveryLoop
from services.notifier.digest_router import DigestRouter
from services.notifier.directory_http import directory_router
from services.notifier.domain.throttle import ThrottlePolicy
from services.notifier.outbox_worker import OutboxWorker
from services.notifier.people_file import people_loader
from services.notifier.report_runs import ReportRuns
from services.notifier.views import notifications_router
from shared.auth import require
from shared.batch_publishing import AtomicBatches
from shared.publishing import JetStreamPublisher
from shared.runtime import ServiceRuntime
from shared.server import serve


def create_app(settings: NotifierSettings | None = None) -> FastAPI:
    settings = settings or NotifierSettings()
    runtime = ServiceRuntime(settings)
    client = httpx.AsyncClient(timeout=settings.timeout_seconds)
    db = runtime.db
    log = MongoNotificationLog(db["notifications"])
    directory = MongoDirectory(db)
    windows, told = MongoDigestWindows(db[DIGESTS]), MongoToldLevels(db[TOLD])
    smtp = None
    if settings.smtp_url:
        smtp = SmtpChannel(settings.smtp_url, settings.smtp_from, settings.timeout_seconds)
    throttle = ThrottlePolicy(settings.throttle_limit, settings.throttle_window_seconds)
    outbox = MongoOutbox(db["notifications"])
    publisher = JetStreamPublisher(runtime.broker)
    http = HttpChannels(settings.timeout_seconds, runtime.telemetry.tracer)
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    worker = OutboxWorker(
        directory, windows, told, outbox, http,
        smtp, throttle, runtime.telemetry.tracer, runtime.telemetry.meter,
        settings.delivery_concurrency, settings.test_hold_after_record_seconds,
        secret, publisher,
        # Outcome events in atomic batches on the NOTIFY stream: one sync a tick's worth.
        AtomicBatches(lambda: runtime.broker.connection, runtime.telemetry.tracer),
        settings.dashboard_url,
    )  # fmt: skip
    token = settings.scheduler_token
    reports = HttpReports(
        client, settings.scheduler_url, token.get_secret_value() if token else None
    )
    runs = ReportRuns(directory.report_timers, directory, outbox, reports)
    loop = DeliveryLoop(worker, settings.poll_seconds, reports=runs)
    subscribers.register(
        runtime.broker, settings, outbox, runtime.telemetry, publisher,
        DigestRouter(directory, windows, told), loop,
    )  # fmt: skip
    runtime.on_start.append(outbox.ensure_indexes)
    runtime.on_start.append(windows.ensure_indexes)
    if settings.people is not None:
        runtime.on_start.append(people_loader(settings.people, directory))
    runtime.after_start.append(loop.start)
    runtime.on_stop.append(loop.stop)
    runtime.on_stop.append(client.aclose)
    runtime.on_stop.append(http.close)
    app = runtime.create_app("Slipstream notifier")
    admin = [require("admin")]  # the log and the directory hold people's addresses
    app.include_router(notifications_router(log), dependencies=admin)
    app.include_router(directory_router(directory), dependencies=admin)
    return app


def run() -> None:
    settings = NotifierSettings()
    serve(
        lambda: create_app(settings),
        settings.host,
        settings.port,
        "NOTIFIER_PORT",
        settings.port_file,
    )
