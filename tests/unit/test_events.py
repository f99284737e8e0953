"""Event contracts: frozen, tolerant of unknown fields, each subject captured by one stream."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from shared.events import ALL_EVENTS, ItemChangedV1, ItemStatus, derive_event_id
from shared.subjects import CONSUMERS, STREAMS

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def item() -> ItemChangedV1:
    return ItemChangedV1(
        event_id="e1",
        occurred_at=NOW,
        source="github",
        item_id="github:a/b#1",
        title="T",
        status=ItemStatus.TODO,
        source_updated_at=NOW,
    )


def test_events_are_frozen() -> None:
    with pytest.raises(ValidationError):
        item().title = "changed"  # type: ignore[misc]


def test_unknown_fields_from_a_newer_producer_are_ignored() -> None:
    payload = item().model_dump(mode="json") | {"added_in_a_later_release": 1}
    assert ItemChangedV1.model_validate(payload) == item()


def test_naive_times_are_rejected() -> None:
    with pytest.raises(ValidationError):
        ItemChangedV1(
            event_id="e",
            occurred_at=datetime(2026, 1, 1),
            source="github",
            item_id="x",
            title="T",
            status="todo",
            source_updated_at=NOW,
        )


@pytest.mark.parametrize("event_type", ALL_EVENTS, ids=lambda t: t.__name__)
def test_every_subject_is_versioned_and_captured_by_exactly_one_stream(event_type: type) -> None:
    subject = event_type.subject
    assert subject.rsplit(".", 1)[-1].startswith("v")
    owners = [s for s in STREAMS if any(subject.startswith(p.rstrip(">")) for p in s.subjects)]
    assert len(owners) == 1


def test_every_consumer_reads_a_declared_stream() -> None:
    assert {c.stream for c in CONSUMERS} <= {s.name for s in STREAMS}


def test_event_ids_are_stable_and_distinct() -> None:
    assert derive_event_id("github", "d1", "0") == derive_event_id("github", "d1", "0")
    assert derive_event_id("github", "d1", "0") != derive_event_id("github", "d1", "1")
