"""Scheduler settings: batching, the time-driven re-check, and the risk policy's knobs."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class SchedulerSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="SCHEDULER_", extra="ignore", populate_by_name=True
    )

    service_name: str = "scheduler"
    port: int = 8081
    batch_size: int = Field(200, ge=1)
    recheck_interval_seconds: float = Field(300.0, gt=0)
    lease_ttl_seconds: float = Field(60.0, gt=0)
    # How often the leader refreshes the marks /risk pages are read between (``rank_marks``).
    rank_marks_interval_seconds: float = Field(30.0, gt=0)
    # How long a silent leader keeps the lead before a standby replica takes over.
    leader_lease_seconds: float = Field(15.0, gt=0)
    stale_after_days: int = Field(14, ge=1)
    near_target_days: int = Field(14, ge=0)
    off_track_slip_days: int = Field(7, ge=0)
    # Risk history older than this is dropped by a TTL index (``assessment_history.at``).
    history_retention_days: int = Field(400, ge=1)
    # ``as_of`` starts from the latest checkpoint of the history taken at most this long ago.
    history_checkpoint_days: int = Field(7, ge=1)
    # A release already past its date is announced again when its forecast moves this many
    # days from the one last announced (0: only when it crosses its date, either way).
    release_step_days: int = Field(7, ge=0)
    # The feedback service's HTTP API, read (never its collections) for the item page's
    # linked feedback; ``slipstream up`` points it at the feedback it starts.
    feedback_url: str = "http://127.0.0.1:8082"
    # A ``read`` token for that API (``slipstream up`` creates one named ``scheduler``).
    feedback_token: SecretStr | None = None
