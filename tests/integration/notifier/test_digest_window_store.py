"""The digest window store against a real Mongo-wire server: a batch writes only its entries.

A window that has collected many changes is joined by writing the new change's own entry
document, so the entries already there are neither read back nor rewritten; item ids with
``.`` and ``$`` are stored and read back intact; closing removes the entries as read; and a
window stored in the older whole-document form is still read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from services.notifier.adapters.digests import (
    DIGESTS,
    MongoDigestWindows,
    change_document,
    entry_id,
)
from services.notifier.domain.change import Change
from services.notifier.domain.digest import DigestWindow, collect
from shared.events import RiskLevel

pytestmark = pytest.mark.integration

T0 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def risk(item: str, cause: str, level: RiskLevel = RiskLevel.OFF_TRACK) -> Change:
    return Change(cause_id=cause, item_id=item, level=level, previous_level=RiskLevel.ON_TRACK)


def adding(*changes: Change) -> Any:
    def add(window: DigestWindow | None) -> DigestWindow:
        for change in changes:
            window = collect(window, "ada", "slack", change, 300, T0)
        assert window is not None
        return window

    return add


@pytest.fixture
async def windows(mongodb_url: str, unique: str) -> AsyncIterator[MongoDigestWindows]:
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_url, tz_aware=True)
    yield MongoDigestWindows(mongo[f"notifier_{unique}"][DIGESTS])
    await mongo.close()


async def test_a_batch_sets_only_its_own_entries(windows: MongoDigestWindows) -> None:
    first = [risk(f"github:acme/web#{n}", f"c{n}") for n in range(5)]
    route = ("ada", "slack")
    await windows.update_all({route: adding(*first)}, {route: [c.key for c in first]})
    header = await windows.collection.find_one({"_id": "ada|slack"})
    assert header is not None
    assert "entries" not in header
    untouched = [entry_id("ada|slack", c.key) for c in first[1:]]
    before = [await windows.collection.find_one({"_id": i}) for i in untouched]

    odd = risk("jira:OPS.1$2", "c-odd")
    later = risk("github:acme/web#0", "c0-again", RiskLevel.AT_RISK)
    await windows.update_all({route: adding(odd, later)}, {route: [odd.key, later.key]})

    after = await windows.collection.find_one({"_id": "ada|slack"})
    assert after is not None
    assert after["version"] == header["version"] + 1
    assert [await windows.collection.find_one({"_id": i}) for i in untouched] == before
    due = await windows.due(T0 + timedelta(seconds=300))
    assert len(due) == 1
    version, window = due[0]
    assert version == after["version"]
    assert window.entries["jira:OPS.1$2"].latest == odd
    assert window.entries["github:acme/web#0"].latest == later
    assert len(window.entries) == 6

    assert await windows.close(window, version)
    assert await windows.collection.count_documents({}) == 0


async def test_an_entry_replaced_after_the_window_was_read_outlives_its_close(
    windows: MongoDigestWindows,
) -> None:
    route = ("ada", "slack")
    first = risk("github:acme/web#1", "c1")
    await windows.update_all({route: adding(first)}, {route: [first.key]})
    ((version, window),) = await windows.due(T0 + timedelta(seconds=300))
    later = risk("github:acme/web#1", "c1-again", RiskLevel.AT_RISK)
    await windows.update_all({route: adding(later)}, {route: [later.key]})

    assert not await windows.close(window, version)  # the version moved: it stays open
    ((_, reread),) = await windows.due(T0 + timedelta(seconds=300))
    assert reread.entries[later.key].latest == later


async def test_a_redelivered_change_writes_nothing(windows: MongoDigestWindows) -> None:
    change, route = risk("github:acme/web#1", "c1"), ("ada", "slack")
    await windows.update_all({route: adding(change)}, {route: [change.key]})
    await windows.update_all({route: adding(change)}, {route: [change.key]})
    stored = await windows.collection.find_one({"_id": "ada|slack"})
    assert stored is not None
    assert stored["version"] == 1


async def test_a_window_stored_whole_is_still_read_and_joined(
    windows: MongoDigestWindows,
) -> None:
    old = risk("github:acme/web#1", "c1")
    await windows.collection.insert_one(
        {
            "_id": "ada|slack", "version": 3, "person_id": "ada", "channel": "slack",
            "opened_at": T0, "closes_at": T0 + timedelta(seconds=300),
            "entries": {"0": {"told": "on_track", "latest": change_document(old)}},
        }
    )  # fmt: skip
    new = risk("github:acme/web#2", "c2")
    route = ("ada", "slack")
    await windows.update_all({route: adding(new)}, {route: [new.key]})
    ((version, window),) = await windows.due(T0 + timedelta(seconds=300))
    assert version == 4
    assert [c.cause_id for c in window.ranked()] == ["c1", "c2"]
    assert await windows.close(window, version)
    assert await windows.collection.count_documents({}) == 0
