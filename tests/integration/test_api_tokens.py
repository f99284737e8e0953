"""``slipstream token create|list|revoke`` against a real database, and a service's API
accepting the token until it is revoked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pymongo import AsyncMongoClient
from typer.testing import CliRunner

from services.cli.main import app as cli
from shared.api_tokens import TokenLookup
from shared.auth import Authenticator, require
from shared.http import install_problem_handlers

pytestmark = pytest.mark.integration


@pytest.fixture
async def api(mongodb_url: str, unique: str) -> AsyncIterator[httpx.AsyncClient]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_url, tz_aware=True)
    app = FastAPI()
    install_problem_handlers(app)
    app.state.auth = Authenticator(TokenLookup(client[f"tokens_{unique}"]), ttl=0)
    router = APIRouter()

    @router.get("/risk")
    async def risk() -> list[str]:
        return []

    app.include_router(router, dependencies=[require("read")])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://scheduler") as http:
        yield http
    await client.close()


async def test_a_token_is_shown_once_listed_by_name_and_refused_once_revoked(
    api: httpx.AsyncClient, mongodb_url: str, unique: str
) -> None:
    where = ["--mongodb-url", mongodb_url, "--database", f"tokens_{unique}"]
    runner = CliRunner()
    created = runner.invoke(cli, ["token", "create", "--scope", "read", "--name", "ci", *where])
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert token.startswith("sst_")
    assert (await api.get("/risk", headers={"Authorization": f"Bearer {token}"})).status_code == 200

    again = runner.invoke(cli, ["token", "create", "--name", "ci", *where])
    assert again.exit_code == 1
    listed = runner.invoke(cli, ["token", "list", *where])
    assert listed.exit_code == 0
    assert "ci" in listed.stdout
    assert "read" in listed.stdout
    assert token not in listed.stdout
    assert token[4:20] not in listed.stdout

    assert runner.invoke(cli, ["token", "revoke", "ci", *where]).exit_code == 0
    refused = await api.get("/risk", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401
    assert runner.invoke(cli, ["token", "revoke", "ci", *where]).exit_code == 1


def test_a_scope_other_than_read_or_admin_is_refused(mongodb_url: str) -> None:
    result = CliRunner().invoke(
        cli, ["token", "create", "--scope", "root", "--name", "x", "--mongodb-url", mongodb_url]
    )
    assert result.exit_code == 2
