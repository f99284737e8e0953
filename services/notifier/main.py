"""Notifier's composition root."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from services.notifier import subscribers
from services.notifier.adapters.directory import MongoDirectory
from services.notifier.adapters.mongo import MongoNotificationLog
from services.notifier.adapters.webhook import HttpWebhookSender
from services.notifier.config import NotifierSettings
from services.notifier.directory_http import directory_router
from services.notifier.views import notifications_router
from shared.publishing import JetStreamPublisher
from shared.runtime import ServiceRuntime
from shared.server import serve


def create_app(settings: NotifierSettings | None = None) -> FastAPI:
    settings = settings or NotifierSettings()
    runtime = ServiceRuntime(settings)
    client = httpx.AsyncClient(timeout=settings.timeout_seconds)
    log = MongoNotificationLog(runtime.db["notifications"])
    subscribers.register(
        runtime.broker,
        settings,
        log,
        HttpWebhookSender(client, runtime.telemetry.tracer),
        JetStreamPublisher(runtime.broker),
        runtime.telemetry,
    )
    runtime.on_stop.append(client.aclose)
    app = runtime.create_app("Slipstream notifier")
    app.include_router(notifications_router(log))
    app.include_router(directory_router(MongoDirectory(runtime.db)))
    return app


def run() -> None:
    settings = NotifierSettings()
    serve(lambda: create_app(settings), settings.host, settings.port, "NOTIFIER_PORT")
