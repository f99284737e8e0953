"""What every service process holds: telemetry, the broker, the Mongo client, and the app.

``ServiceRuntime`` is built inside each service's ``create_app`` (never at import time) and
gives that composition root a FastAPI app whose lifespan connects, declares the JetStream
topology, runs the service's own start-up, and tears everything down in reverse.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from faststream.exceptions import FastStreamException
from faststream.nats import NatsBroker
from opentelemetry import trace
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from starlette.types import ASGIApp

from shared.api_tokens import TokenLookup
from shared.auth import Authenticator
from shared.broker import create_broker, ensure_streams
from shared.consumer_stats import ConsumerStats
from shared.http import (
    PrefixDispatch,
    ReadinessCheck,
    SecurityHeaders,
    TracingMiddleware,
    health_router,
    install_problem_handlers,
    metrics_router,
)
from shared.mongo import create_mongo_client
from shared.settings import ServiceSettings
from shared.subjects import StreamSpec, bus_user
from shared.telemetry import Telemetry

logger = logging.getLogger(__name__)

Hook = Callable[[], Awaitable[None]]


class ServiceApp(FastAPI):
    """FastAPI with its bare endpoints and tracing outside its own middleware stack.

    Starlette's error middleware and FastAPI's telemetry and body-limit layers cost a webhook
    request several percent of its CPU (py-spy under ``bench/ingest_throughput.py``) and do
    nothing for an endpoint that reads its own body and answers its own errors, last-resort
    503 included. Everything else still goes through them; tracing now covers them too.
    """

    fast_paths: Mapping[str, ASGIApp] = {}
    tracer: trace.Tracer | None = None

    def build_middleware_stack(self) -> ASGIApp:
        app = super().build_middleware_stack()
        for prefix, endpoint in self.fast_paths.items():
            app = PrefixDispatch(app, prefix, endpoint)
        return app if self.tracer is None else TracingMiddleware(app, self.tracer)


class ServiceRuntime:
    def __init__(self, settings: ServiceSettings, telemetry: Telemetry | None = None) -> None:
        self.settings = settings
        self.telemetry = telemetry or Telemetry.start(settings)
        self.broker: NatsBroker = create_broker(settings, self.telemetry)
        self.mongo: AsyncMongoClient[dict[str, Any]] = create_mongo_client(settings, self.telemetry)
        # Streams whose settings this service owns and configures (see ensure_streams).
        self.stream_overrides: list[StreamSpec] = []
        self.on_start: list[Hook] = []
        # After the broker runs: for subscribers started later, e.g. by a leader only.
        self.after_start: list[Hook] = []
        self.on_stop: list[Hook] = []
        # Checks of the service's own job, beside NATS and MongoDB (see ``NotReady``).
        self.readiness: dict[str, ReadinessCheck] = {}
        # Routers opt in with ``shared.auth.require``; the scheduler adds dashboard sessions.
        self.auth = Authenticator(TokenLookup(self.db), settings.auth_cache_seconds)
        # Inline ``<style>`` blocks a served page may apply (see ``SecurityHeaders``).
        self.style_hashes: tuple[str, ...] = ()
        user = bus_user(settings.service_name)
        self.consumer_stats = ConsumerStats(
            self.telemetry.meter, user.consumers if user is not None else ()
        )

    @property
    def db(self) -> AsyncDatabase[dict[str, Any]]:
        return self.mongo[self.settings.mongodb_database]

    async def nats_ready(self) -> None:
        if not await self.broker.ping(timeout=1.0):
            raise ConnectionError("NATS did not answer")

    async def mongo_ready(self) -> None:
        await self.mongo.admin.command("ping")

    async def metrics_text(self) -> bytes:
        """Fresh consumer numbers when NATS answers in time, the last ones otherwise."""
        try:
            connection = self.broker.connection
        except FastStreamException:  # not connected yet
            connection = None
        if connection is not None and connection.is_connected:
            try:
                await asyncio.wait_for(self.consumer_stats.refresh(connection.jetstream()), 2.0)
            except TimeoutError:
                logger.warning("consumer numbers not refreshed in time for a scrape")
        return self.telemetry.prometheus_text()

    async def start(self) -> None:
        client = await self.broker.connect()
        await ensure_streams(
            client.jetstream(),
            self.settings.stream_replicas,
            self.stream_overrides,
            self.settings.service_name,
        )
        for hook in self.on_start:
            await hook()
        await self.broker.start()
        for hook in self.after_start:
            await hook()
        logger.info("started", extra={"fields": {"port": self.settings.port}})

    async def stop(self) -> None:
        await self.broker.stop()
        for hook in reversed(self.on_stop):
            await hook()
        await self.mongo.close()
        self.telemetry.shutdown()

    def create_app(self, title: str, endpoints: Mapping[str, ASGIApp] | None = None) -> FastAPI:
        """``endpoints`` maps a path prefix to a bare ASGI endpoint (see ``PrefixDispatch``)."""

        @asynccontextmanager
        async def lifespan(_: FastAPI) -> AsyncIterator[None]:
            await self.start()
            try:
                yield
            finally:
                await self.stop()

        # FastAPI's own telemetry off: TracingMiddleware and our providers do that job, and
        # even while unconfigured it looks up the global providers on every request.
        off = TelemetryConfig(tracing=False, metrics=False, logs=False, operation_spans=False)
        app = ServiceApp(title=title, lifespan=lifespan, telemetry=off)
        install_problem_handlers(app)
        app.add_middleware(SecurityHeaders, style_hashes=self.style_hashes)
        app.state.auth = self.auth
        app.fast_paths = dict(endpoints or {})
        app.tracer = self.telemetry.tracer
        # ``slipstream docs`` reads the subscribers from it to write the AsyncAPI document.
        app.state.broker = self.broker
        checks = {"nats": self.nats_ready, "mongodb": self.mongo_ready, **self.readiness}
        app.include_router(health_router(checks))
        app.include_router(metrics_router(self.metrics_text))
        return app
