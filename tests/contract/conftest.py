"""Each contract test runs twice: against the in-memory fake and against the real adapter.

The ``database`` fixture is the one switch: ``None`` for the fake, a fresh database on the
real MongoDB-wire server (started by ``tests/conftest.py``) for the adapter. The server is only
started when a Mongo case runs, so ``-k in-memory`` needs none.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

Database = AsyncDatabase[dict[str, Any]]


@pytest.fixture(params=["in-memory", "mongo"])
async def database(request: pytest.FixtureRequest, unique: str) -> AsyncIterator[Database | None]:
    if request.param == "in-memory":
        yield None
        return
    url: str = request.getfixturevalue("mongodb_url")
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url, tz_aware=True)
    yield client[f"contract_{unique}"]
    await client.drop_database(f"contract_{unique}")
    await client.close()
