"""Fixtures the integration tests share."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase


@pytest.fixture
async def fresh_database(
    mongodb_url: str, unique: str
) -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    """A database of its own on the test server, dropped afterwards."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_url, tz_aware=True)
    yield client[f"test_{unique}"]
    await client.drop_database(f"test_{unique}")
    await client.close()
