"""Ingest's composition root: the only place that wires adapters into the use cases."""

from __future__ import annotations

from fastapi import FastAPI

from services.ingest import subscribers
from services.ingest.adapters.jetstream import DirectEventPublisher, JetStreamDeliveryLog
from services.ingest.adapters.recent import RecentNormalisations
from services.ingest.config import IngestSettings
from services.ingest.domain import SOURCES
from services.ingest.http import WEBHOOKS, WebhookEndpoint
from shared.runtime import ServiceRuntime
from shared.server import serve


def create_app(settings: IngestSettings | None = None) -> FastAPI:
    settings = settings or IngestSettings()
    runtime = ServiceRuntime(settings)
    runtime.stream_overrides.append(settings.raw_stream())
    meter, tracer = runtime.telemetry.meter, runtime.telemetry.tracer
    timeout = settings.publish_timeout_seconds
    delivery_log = JetStreamDeliveryLog(runtime.broker, timeout, meter)
    publisher = DirectEventPublisher(runtime.broker, timeout, tracer)
    # Only a replica that normalises can use what its requests normalised.
    recent = RecentNormalisations() if settings.normaliser else None
    if settings.normaliser:
        subscribers.register(
            runtime.broker, settings, SOURCES, publisher, runtime.telemetry, recent
        )
    endpoint = WebhookEndpoint(
        settings, SOURCES, settings.rules, lambda: delivery_log, meter, recent
    )
    return runtime.create_app("Slipstream ingest", {WEBHOOKS: endpoint})


def run() -> None:
    settings = IngestSettings()
    serve(
        lambda: create_app(settings),
        settings.host,
        settings.port,
        "INGEST_PORT",
        settings.port_file,
    )
