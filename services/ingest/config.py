"""Ingest settings: one secret (or a rotation pair) per source, limits, timeouts, retention."""

from __future__ import annotations

from dataclasses import replace
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from services.ingest.domain import SourceRules
from shared.settings import ServiceSettings
from shared.subjects import DAY, HOUR, RAW_DEDUPE_WINDOW, RAW_DELIVERIES, StreamSpec

TWENTY_FIVE_MB = 25 * 1024 * 1024  # GitHub's own maximum payload size


class IngestSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INGEST_", extra="ignore", populate_by_name=True)

    service_name: str = "ingest"
    port: int = 8080
    # Each is "secret" or "new,old" so a rotation can accept both for a while.
    github_secret: SecretStr | None = None
    jira_secret: SecretStr | None = None
    linear_secret: SecretStr | None = None
    zendesk_secret: SecretStr | None = None
    intercom_secret: SecretStr | None = None
    canny_secret: SecretStr | None = None
    standard_secret: SecretStr | None = None
    max_body_bytes: int = Field(TWENTY_FIVE_MB, gt=0)
    # The limit-th bad signature from one address within the window, and any after, is a 429.
    bad_signature_limit: int = Field(20, ge=1)
    bad_signature_window_seconds: float = Field(60.0, gt=0)
    publish_timeout_seconds: float = Field(5.0, gt=0)
    retry_after_seconds: int = Field(30, gt=0)
    dedupe_window_hours: float = Field(RAW_DEDUPE_WINDOW / HOUR, gt=0)
    raw_retention_days: float = Field(30.0, gt=0)
    normaliser_batch_size: int = Field(200, gt=0)
    # False runs a receive-only replica; the normaliser then runs in replicas that set True.
    normaliser: bool = True
    # INGEST_RULES='{"github_teams": {"acme/api": "payments"}}': JSON, SourceRules' fields.
    rules: SourceRules = Field(default_factory=SourceRules)

    @model_validator(mode="after")
    def _window_within_retention(self) -> Self:
        # JetStream refuses a duplicate window longer than the stream keeps messages.
        if self.dedupe_window_hours * HOUR > self.raw_retention_days * DAY:
            raise ValueError("INGEST_DEDUPE_WINDOW_HOURS exceeds INGEST_RAW_RETENTION_DAYS")
        return self

    def secrets_for(self, source: str) -> tuple[str, ...]:
        value = getattr(self, f"{source}_secret", None)
        if value is None:
            return ()
        return tuple(part.strip() for part in value.get_secret_value().split(",") if part.strip())

    def raw_stream(self) -> StreamSpec:
        return replace(
            RAW_DELIVERIES,
            max_age_seconds=self.raw_retention_days * DAY,
            duplicate_window_seconds=self.dedupe_window_hours * HOUR,
        )
