"""Ingest settings: one secret (or a rotation pair) per source, limits, timeouts."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings

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
    publish_timeout_seconds: float = Field(5.0, gt=0)
    retry_after_seconds: int = Field(30, gt=0)

    def secrets_for(self, source: str) -> tuple[str, ...]:
        value = getattr(self, f"{source}_secret", None)
        if value is None:
            return ()
        return tuple(part.strip() for part in value.get_secret_value().split(",") if part.strip())
