"""NATS goes away: ingest answers 503 with Retry-After, never 2xx for what it did not store."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from services.cli.embedded import start_nats
from tests.support.ingest import signed
from tests.support.streams import events_of, eventually, read_stream, running_ingest

pytestmark = pytest.mark.integration

ISSUE = (
    b'{"action": "opened", "repository": {"full_name": "acme/outage"}, "issue": {"number": 5,'
    b' "title": "T", "state": "open", "updated_at": "2026-11-01T00:00:00Z", "labels": []}}'
)


async def post(client: httpx.AsyncClient, delivery: str) -> httpx.Response:
    headers = signed("github", ISSUE, datetime.now(UTC), delivery) | {"x-github-event": "issues"}
    return await client.post("/webhooks/github", content=ISSUE, headers=headers)


async def test_outage_is_503_and_the_retry_is_accepted_exactly_once(
    tmp_path: Path, unique: str
) -> None:
    # A server of its own, because this test stops it.
    server = start_nats(tmp_path)
    port = urlparse(server.url).port
    try:
        async with running_ingest(server.url, publish_timeout_seconds=2) as client:
            assert (await post(client, f"{unique}-before")).status_code == 202
            server.process.stop()
            during = [await post(client, f"{unique}-during") for _ in range(3)]
            assert [r.status_code for r in during] == [503, 503, 503]
            assert all(int(r.headers["retry-after"]) > 0 for r in during)
            assert during[0].headers["content-type"] == "application/problem+json"

            server = start_nats(tmp_path, port=port)

            async def accepted() -> httpx.Response | None:
                response = await post(client, f"{unique}-during")
                assert response.status_code in (202, 503), response.text
                return response if response.status_code == 202 else None

            retried = await eventually(accepted)
            # "duplicate" would mean a publish that timed out was stored after all: still once.
            assert retried.json()["status"] in ("accepted", "duplicate")
            found = await eventually(lambda: _events(server.url, f"{unique}-during"))
            raw = await read_stream(server.url, "ingest.raw.github")
            ids = [(m.headers or {}).get("Slipstream-Delivery-Id") for m in raw]
            assert ids.count(f"{unique}-during") == 1
            assert len(found) == 1
    finally:
        server.process.stop()


async def _events(url: str, delivery: str) -> list[dict[str, object]] | None:
    return await events_of(url, {delivery}) or None
