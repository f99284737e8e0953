"""Feedback settings."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class FeedbackSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="FEEDBACK_", extra="ignore", populate_by_name=True)

    service_name: str = "feedback"
    port: int = 8082
    batch_size: int = Field(200, ge=1)
    # CSV or YAML; see services/feedback/domain/organisation_rows.py for the columns.
    organisations: Path | None = None
    # JSON object overlaying the default importance per feedback kind, e.g. {"vote": 1}.
    importance_by_kind: dict[str, int] = Field(default_factory=dict)
    # JSON: tag -> item ids, e.g. {"export": ["jira:PAY-12"]}; see domain/tag_rules.py.
    tag_rules: dict[str, list[str] | str] = Field(default_factory=dict)
    arr_unit: float = Field(10_000.0, gt=0)
    scale_by_arr: bool = True
    # Surges (method: services/feedback/domain/surges.py): a recent window against the item's
    # own baseline over the windows before it, with a minimum volume.
    surge_window_hours: float = Field(24.0, gt=0)
    surge_baseline_windows: int = Field(28, ge=1)
    surge_min_recent: int = Field(5, ge=1)
    surge_ratio: float = Field(3.0, gt=1)
