"""Notifier settings: where risk changes go and how they are signed."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class NotifierSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFIER_", extra="ignore", populate_by_name=True)

    service_name: str = "notifier"
    port: int = 8083
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    timeout_seconds: float = Field(10.0, gt=0)
    batch_size: int = Field(50, ge=1)
    # Digest delivery (people and subscriptions, see README "Notifications").
    smtp_url: str | None = None
    smtp_from: str = "slipstream@localhost"
    poll_seconds: float = Field(1.0, gt=0)
    throttle_limit: int = Field(5, ge=1)
    throttle_window_seconds: int = Field(3600, ge=0)
    delivery_concurrency: int = Field(8, ge=1)
    # Where scheduled reports come from (the scheduler's GET /report).
    scheduler_url: str = "http://127.0.0.1:8081"
    # Where people open the dashboard (the scheduler's page, as they reach it): each message
    # links every item to its explanation there. Unset, messages carry no such link
    # (``slipstream up`` sets it to the dashboard it prints).
    dashboard_url: str | None = None
    # A ``read`` token for it (NOTIFIER_SCHEDULER_TOKEN); ``slipstream up`` makes one.
    scheduler_token: SecretStr | None = None
    # NOTIFIER_PEOPLE: YAML of person id -> PUT /people body, loaded at start-up.
    people: Path | None = None
    # Test-only: after a tick records messages, wait this long before sending any, so an
    # end-to-end test can kill the process between recording and sending. Never set it live.
    test_hold_after_record_seconds: float = Field(0.0, ge=0)
