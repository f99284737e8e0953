"""Checkpoint boundaries and parts: aligned periods, and the marker written after its parts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.scheduler.history_checkpoints import PART, boundary_at_or_after, parts_of

pytestmark = pytest.mark.unit

WEEK = timedelta(days=7)


def test_a_boundary_is_the_next_period_end_or_the_instant_itself_on_one() -> None:
    thursday = datetime(2026, 3, 5, tzinfo=UTC)  # the epoch was a Thursday: weeks end on one
    assert boundary_at_or_after(thursday, WEEK) == thursday
    assert boundary_at_or_after(thursday + timedelta(seconds=1), WEEK) == thursday + WEEK
    assert boundary_at_or_after(thursday - timedelta(days=6), WEEK) == thursday
    day = timedelta(days=1)
    assert boundary_at_or_after(datetime(2026, 3, 5, 9, tzinfo=UTC), day) == thursday + day


def test_parts_hold_every_entry_once_and_the_marker_comes_last() -> None:
    at = datetime(2026, 3, 5, tzinfo=UTC)
    entries = [{"_id": f"e{n}", "item_id": f"i{n}"} for n in range(PART * 2 + 1)]
    documents = parts_of(at, entries)
    *parts, marker = documents
    assert marker == {"_id": at.isoformat(), "at": at, "complete": True, "parts": 3}
    assert [e for part in parts for e in part["entries"]] == entries
    assert len({d["_id"] for d in documents}) == 4
