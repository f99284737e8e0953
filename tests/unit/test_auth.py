"""Bearer tokens and session cookies through a real FastAPI app, with tokens held in memory."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from shared.api_tokens import TokenRecord, new_token, token_hash
from shared.auth import CSRF_COOKIE, SESSION_COOKIE, Authenticator, require
from shared.http import install_problem_handlers

pytestmark = pytest.mark.unit
NOW = datetime(2026, 1, 5, tzinfo=UTC)


class InMemoryTokens:
    def __init__(self) -> None:
        self.records: dict[str, TokenRecord] = {}
        self.reads = 0

    def add(self, name: str, scope: str) -> str:
        token = new_token()
        self.records[token_hash(token)] = TokenRecord(name, scope, NOW, token_hash(token))  # type: ignore[arg-type]
        return token

    async def by_hash(self, hashed: str) -> TokenRecord | None:
        self.reads += 1
        return self.records.get(hashed)


class InMemorySessions:
    def __init__(self) -> None:
        self.by_id: dict[str, str] = {}

    async def token_hash(self, session_id: str) -> str | None:
        return self.by_id.get(session_id)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def app_with(auth: Authenticator) -> TestClient:
    app = FastAPI()
    install_problem_handlers(app)
    app.state.auth = auth
    reads, admin = APIRouter(), APIRouter()

    @reads.get("/risk")
    async def risk() -> list[str]:
        return []

    @admin.post("/people")
    async def people() -> dict[str, str]:
        return {"saved": "yes"}

    app.include_router(reads, dependencies=[require("read")])
    app.include_router(admin, dependencies=[require("admin")])
    return TestClient(app, base_url="http://scheduler")


@pytest.fixture
def tokens() -> InMemoryTokens:
    return InMemoryTokens()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_no_or_an_unknown_token_is_a_401_problem_with_a_bearer_challenge(
    tokens: InMemoryTokens,
) -> None:
    client = app_with(Authenticator(tokens))
    for headers in ({}, bearer("sst_made-up"), {"Authorization": "Basic YWRtaW46YWRtaW4="}):
        response = client.get("/risk", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_read_reads_admin_does_both_and_read_cannot_administer(tokens: InMemoryTokens) -> None:
    client = app_with(Authenticator(tokens))
    reader, admin = tokens.add("dash", "read"), tokens.add("ops", "admin")
    assert client.get("/risk", headers=bearer(reader)).status_code == 200
    assert client.get("/risk", headers=bearer(admin)).status_code == 200
    assert client.post("/people", headers=bearer(admin)).status_code == 200
    refused = client.post("/people", headers=bearer(reader))
    assert refused.status_code == 403
    assert 'error="insufficient_scope"' in refused.headers["www-authenticate"]


def test_a_revoked_token_is_refused_once_the_cache_entry_expires(tokens: InMemoryTokens) -> None:
    clock = Clock()
    client = app_with(Authenticator(tokens, ttl=5, clock=clock))
    token = tokens.add("ci", "read")
    assert client.get("/risk", headers=bearer(token)).status_code == 200
    assert client.get("/risk", headers=bearer(token)).status_code == 200
    assert tokens.reads == 1  # the second request was answered from the cache
    tokens.records.clear()
    clock.now = 5.1
    assert client.get("/risk", headers=bearer(token)).status_code == 401


def test_a_session_cookie_reads_and_changes_state_only_with_the_csrf_token(
    tokens: InMemoryTokens,
) -> None:
    sessions = InMemorySessions()
    client = app_with(Authenticator(tokens, sessions=sessions))
    sessions.by_id["s1"] = token_hash(tokens.add("browser", "admin"))
    client.cookies.set(SESSION_COOKIE, "s1")
    client.cookies.set(CSRF_COOKIE, "c1")
    assert client.get("/risk").status_code == 200
    assert client.post("/people").status_code == 403  # no echoed token: a cross-site form
    assert client.post("/people", headers={"X-CSRF-Token": "other"}).status_code == 403
    cross = {"X-CSRF-Token": "c1", "Origin": "http://evil.test"}
    assert client.post("/people", headers=cross).status_code == 403
    same = {"X-CSRF-Token": "c1", "Origin": "http://scheduler"}
    assert client.post("/people", headers=same).status_code == 200


def test_an_unknown_session_is_a_401(tokens: InMemoryTokens) -> None:
    client = app_with(Authenticator(tokens, sessions=InMemorySessions()))
    client.cookies.set(SESSION_COOKIE, "forged")
    assert client.get("/risk").status_code == 401
