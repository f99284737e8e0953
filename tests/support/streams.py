"""Reading what is in JetStream right now, and running the ingest app in-process."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx
import nats
from nats.aio.msg import Msg
from nats.js.api import ConsumerConfig, DeliverPolicy

from services.ingest.config import IngestSettings
from services.ingest.main import create_app
from tests.support.ingest import SECRETS

T = TypeVar("T")


async def read_stream(url: str, subject: str) -> list[Msg]:
    """Every message stored on ``subject`` now, oldest first (an ephemeral ordered consumer)."""
    client = await nats.connect(url)
    try:
        config = ConsumerConfig(deliver_policy=DeliverPolicy.ALL)
        subscription = await client.jetstream().subscribe(
            subject, ordered_consumer=True, config=config
        )
        found: list[Msg] = []
        while True:
            try:
                message = await subscription.next_msg(timeout=1.0)
            except TimeoutError:
                return found
            found.append(message)
            if message.metadata.num_pending == 0:
                return found
    finally:
        await client.close()


async def events_of(url: str, delivery_ids: set[str]) -> list[dict[str, Any]]:
    """Canonical events on WORK and FEEDBACK that these deliveries yielded, with subjects."""
    events = []
    for subject in ("work.>", "feedback.>"):
        for message in await read_stream(url, subject):
            payload = json.loads(message.data)
            if payload.get("delivery_id") in delivery_ids:
                events.append({**payload, "subject": message.subject})
    return events


async def eventually(probe: Callable[[], Awaitable[T | None]], within: float = 30.0) -> T:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if (found := await probe()) is not None:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"condition not met within {within}s")


def wait_until(probe: Callable[[], T | None], timeout: float = 30.0) -> T:
    """``eventually`` for tests that drive a running stack from synchronous code."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (found := probe()) is not None:
            return found
        time.sleep(0.25)
    raise AssertionError(f"condition not met within {timeout}s")


@asynccontextmanager
async def running_ingest_app(nats_url: str, **overrides: Any) -> AsyncIterator[Any]:
    """The real ingest app, lifespan and normaliser included, running in-process."""
    secrets = {f"{name}_secret": secret for name, secret in SECRETS.items()}
    settings = IngestSettings(nats_url=nats_url, log_json=False, **secrets, **overrides)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


def client_of(app: Any, address: str = "127.0.0.1") -> httpx.AsyncClient:
    """A client calling ``app`` as if from ``address``."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://ingest")


@asynccontextmanager
async def running_ingest(nats_url: str, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with running_ingest_app(nats_url, **overrides) as app, client_of(app) as client:
        yield client
