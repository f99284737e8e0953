"""Feedback's composition root."""

from __future__ import annotations

from fastapi import FastAPI

from services.feedback import subscribers
from services.feedback.adapters.mongo import MongoFeedbackStore
from services.feedback.config import FeedbackSettings
from shared.publishing import JetStreamPublisher
from shared.runtime import ServiceRuntime
from shared.server import serve


def create_app(settings: FeedbackSettings | None = None) -> FastAPI:
    settings = settings or FeedbackSettings()
    runtime = ServiceRuntime(settings)
    store = MongoFeedbackStore(runtime.db)
    runtime.on_start.append(store.ensure_indexes)
    subscribers.register(
        runtime.broker, settings, store, JetStreamPublisher(runtime.broker), runtime.telemetry
    )
    return runtime.create_app("Slipstream feedback")


def run() -> None:
    settings = FeedbackSettings()
    serve(lambda: create_app(settings), settings.host, settings.port, "FEEDBACK_PORT")
