"""Ingest settings: retention and dedupe window reach the stream; rules come from JSON."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.ingest.config import IngestSettings
from shared.events import ItemStatus
from shared.subjects import DAY, HOUR, RAW_DELIVERIES

pytestmark = pytest.mark.unit


def test_defaults_keep_raw_deliveries_30_days_and_dedupe_over_72_hours() -> None:
    stream = IngestSettings().raw_stream()
    assert (stream.name, stream.max_age_seconds) == (RAW_DELIVERIES.name, 30 * DAY)
    assert stream.duplicate_window_seconds == 72 * HOUR


def test_configured_retention_and_window_override_the_stream() -> None:
    stream = IngestSettings(raw_retention_days=7, dedupe_window_hours=24).raw_stream()
    assert (stream.max_age_seconds, stream.duplicate_window_seconds) == (7 * DAY, 24 * HOUR)
    assert stream.owner == "ingest"


def test_dedupe_window_longer_than_retention_is_refused() -> None:
    with pytest.raises(ValidationError, match="DEDUPE_WINDOW"):
        IngestSettings(raw_retention_days=1, dedupe_window_hours=48)


def test_source_rules_are_read_from_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INGEST_RULES", '{"jira_statuses": {"QA": "in_progress"}}')
    assert IngestSettings().rules.jira_statuses == {"QA": ItemStatus.IN_PROGRESS}
