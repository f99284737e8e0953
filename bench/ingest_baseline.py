"""The bare baseline: check GitHub's HMAC, publish once to JetStream, wait for the ack, 202.

Written plainly on the same stack as ingest (FastAPI, uvicorn with uvloop/httptools, nats-py),
storing into a stream configured like INGEST_RAW (file storage, same retention and duplicate
window, the delivery id as msg id), so the comparison measures what ingest adds, not a
different server. Run: ``python -m bench.ingest_baseline`` with NATS_URL, SECRET and PORT set.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import nats
import uvicorn
from fastapi import FastAPI, Request, Response
from nats.js.api import StorageType, StreamConfig

from shared.subjects import RAW_DELIVERIES

STREAM = StreamConfig(
    name="BASELINE_RAW",
    subjects=["baseline.raw"],
    storage=StorageType.FILE,
    max_age=RAW_DELIVERIES.max_age_seconds,
    duplicate_window=RAW_DELIVERIES.duplicate_window_seconds,
)


def create_app(nats_url: str, secret: bytes) -> FastAPI:
    state: dict[str, object] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        client = await nats.connect(nats_url)
        js = client.jetstream()
        await js.add_stream(STREAM)
        state["js"] = js
        yield
        await client.drain()

    app = FastAPI(lifespan=lifespan)

    @app.post("/webhooks/github")
    async def receive(request: Request) -> Response:
        body = await request.body()
        expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        given = request.headers.get("x-hub-signature-256", "")
        if not hmac.compare_digest(expected.encode(), given.encode()):
            return Response(status_code=401)
        delivery = request.headers.get("x-github-delivery", "")
        js = state["js"]
        await js.publish(  # type: ignore[attr-defined]
            "baseline.raw", body, timeout=5, headers={"Nats-Msg-Id": f"github:{delivery}"}
        )
        return Response(b'{"status":"accepted"}', 202, media_type="application/json")

    return app


if __name__ == "__main__":
    app = create_app(os.environ["NATS_URL"], os.environ["SECRET"].encode())
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(os.environ["PORT"]),
        loop="uvloop",
        http="httptools",
        log_config=None,
        access_log=False,
    )
