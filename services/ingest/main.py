"""Ingest's composition root: the only place that wires adapters into the use case."""

from __future__ import annotations

from fastapi import FastAPI

from services.ingest.adapters.jetstream import JetStreamDeliveryLog
from services.ingest.config import IngestSettings
from services.ingest.domain import SOURCES, SourceRules
from services.ingest.http import webhook_router
from shared.runtime import ServiceRuntime
from shared.server import serve


def create_app(settings: IngestSettings | None = None) -> FastAPI:
    settings = settings or IngestSettings()
    runtime = ServiceRuntime(settings)
    delivery_log = JetStreamDeliveryLog(runtime.broker, settings.publish_timeout_seconds)
    app = runtime.create_app("Slipstream ingest")
    app.include_router(
        webhook_router(
            settings, SOURCES, SourceRules(), lambda: delivery_log, runtime.telemetry.meter
        )
    )
    return app


def run() -> None:
    settings = IngestSettings()
    serve(lambda: create_app(settings), settings.host, settings.port, "INGEST_PORT")
