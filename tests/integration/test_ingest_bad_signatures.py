"""Repeated bad signatures from one address are 429 with Retry-After; nobody else notices."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from tests.support.ingest import signed
from tests.support.streams import client_of, running_ingest_app

pytestmark = pytest.mark.integration

LIMIT = 5


def issue(unique: str, n: int) -> bytes:
    return (
        b'{"action": "opened", "repository": {"full_name": "acme/limits"}, "issue": {"number": '
        + str(n).encode()
        + b', "title": "T", "state": "open", "updated_at": "2026-11-01T00:00:00Z", "labels": []}}'
    )


async def post(client: httpx.AsyncClient, body: bytes, delivery: str, good: bool) -> httpx.Response:
    headers = signed("github", body, datetime.now(UTC), delivery) | {"x-github-event": "issues"}
    if not good:
        headers["x-hub-signature-256"] = "sha256=" + "0" * 64
    return await client.post("/webhooks/github", content=body, headers=headers)


async def test_a_noisy_address_is_told_to_back_off_and_valid_vendors_are_not(
    nats_url: str, unique: str
) -> None:
    async with (
        running_ingest_app(nats_url, bad_signature_limit=LIMIT) as app,
        client_of(app, "203.0.113.9") as noisy,
        client_of(app, "198.51.100.4") as vendor,
    ):
        body = issue(unique, 1)
        answers = [await post(noisy, body, f"{unique}-bad-{n}", False) for n in range(LIMIT + 3)]
        assert [a.status_code for a in answers] == [401] * (LIMIT - 1) + [429] * 4
        limited = answers[-1]
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert limited.headers["content-type"] == "application/problem+json"
        # Another address, and a valid signature from the noisy one, are still accepted.
        assert (await post(vendor, issue(unique, 2), f"{unique}-vendor", True)).status_code == 202
        assert (await post(vendor, body, f"{unique}-vendor-bad", False)).status_code == 401
        assert (await post(noisy, issue(unique, 3), f"{unique}-good", True)).status_code == 202
