"""The risk table read span by span against the real server: every row once, in rank order."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest

from services.scheduler.adapters.rank_marks import MongoRankMarks
from services.scheduler.projections import MongoWorkStore
from services.scheduler.rank_marks import marks, rank_order
from services.scheduler.risk_table import RiskTable

pytestmark = pytest.mark.integration
NOW = datetime(2026, 3, 1, tzinfo=UTC)


def assessments(seed: int, count: int) -> list[dict[str, Any]]:
    """A capped-score tie of half the rows, a few other ties, spread scores, two teams."""
    rng = random.Random(seed)
    rows = []
    for n in range(count):
        score = rng.choice([130.0, 130.0, 64.0, 0.0, round(rng.uniform(-1, 300), 2)])
        rows.append({"_id": f"jira:T-{rng.randrange(100_000):05d}-{n}", "score": score})
        rows[-1]["team"] = rng.choice(["web", "api", "api", "api"])
    return rows


def ranked(rows: list[dict[str, Any]], **filters: str) -> list[str]:
    chosen = [r for r in rows if all(r.get(f) == v for f, v in filters.items())]
    return [r["_id"] for r in sorted(chosen, key=lambda r: rank_order((r["score"], r["_id"])))]


async def paged(table: RiskTable, filters: dict[str, Any], limit: int) -> list[str]:
    """Every page as /risk reads it: ``limit + 1`` rows from just after the last one shown."""
    found: list[str] = []
    after = None
    while True:
        rows = await table.rows(filters, after, limit + 1)
        found += [row["_id"] for row in rows[:limit]]
        if len(rows) <= limit:
            return found
        after = (rows[limit - 1]["score"], rows[limit - 1]["_id"])


@pytest.fixture
async def rows(db: Any) -> list[dict[str, Any]]:
    await MongoWorkStore(db).ensure_indexes()
    found = assessments(7, 400)
    await db["assessments"].insert_many([dict(row) for row in found])
    return found


@pytest.mark.parametrize("limit", [1, 5, 37, 500])
async def test_pages_between_marks_hold_every_row_once_in_rank_order(
    db: Any, rows: list[dict[str, Any]], limit: int
) -> None:
    keys = [(row["score"], row["_id"]) for row in rows]
    await MongoRankMarks(db).write(marks(keys, 8), 8, len(keys), NOW)
    table = RiskTable(db)

    assert await paged(table, {}, limit) == ranked(rows)
    assert await paged(table, {"team": "web"}, limit) == ranked(rows, team="web")


async def test_stale_marks_and_no_marks_still_give_every_row(
    db: Any, rows: list[dict[str, Any]]
) -> None:
    table = RiskTable(db)
    assert await paged(table, {"team": "api"}, 9) == ranked(rows, team="api"), "no marks yet"

    # Marked, then a quarter of the rows leave and new ones arrive, some inside the tie.
    keys = [(row["score"], row["_id"]) for row in rows]
    await MongoRankMarks(db).write(marks(keys, 8), 8, len(keys), NOW)
    gone = [row["_id"] for row in rows[::4]]
    await db["assessments"].delete_many({"_id": {"$in": gone}})
    arrived = assessments(8, 150)
    await db["assessments"].insert_many([dict(row) for row in arrived])
    now = [row for row in rows if row["_id"] not in set(gone)] + arrived

    assert await paged(table, {}, 11) == ranked(now)
    assert await paged(table, {"team": "web"}, 4) == ranked(now, team="web")
