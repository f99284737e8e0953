"""Settings every service shares; each service subclasses with its own env prefix.

Connection settings keep their conventional unprefixed names (``NATS_URL``, ``MONGODB_URL``,
``OTEL_EXPORTER_OTLP_ENDPOINT``) so one environment configures the whole stack; credentials are
each service's own and take its prefix.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    service_name: str = "slipstream"
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    # Where to write the port actually bound: with port 0 a supervisor learns it from there.
    port_file: Path | None = None
    nats_url: str = Field("nats://127.0.0.1:4222", validation_alias=_env("NATS_URL"))
    mongodb_url: str = Field("mongodb://127.0.0.1:27017", validation_alias=_env("MONGODB_URL"))
    mongodb_database: str = Field("slipstream", validation_alias=_env("MONGODB_DATABASE"))
    # Every write waits for the server's journal: a consumer acks its JetStream message once
    # its write is acknowledged, so an acknowledged write must survive the server being killed
    # (without it a kill -9 of the database lost an acknowledged projection in the fault suite).
    mongodb_journal: bool = Field(True, validation_alias=_env("MONGODB_JOURNAL"))
    # Each service's own credentials (deploy/nats/users.conf, deploy/mongodb/users.js), so
    # prefixed like its other settings (INGEST_NATS_USER, ...) and kept out of the URLs, which
    # get logged. Unset: connect without.
    nats_user: str | None = None
    nats_password: SecretStr | None = None
    mongodb_user: str | None = None
    mongodb_password: SecretStr | None = None
    stream_replicas: int = Field(1, ge=1, le=5, validation_alias=_env("NATS_STREAM_REPLICAS"))
    otlp_endpoint: str | None = Field(None, validation_alias=_env("OTEL_EXPORTER_OTLP_ENDPOINT"))
    console_traces: bool = Field(False, validation_alias=_env("SLIPSTREAM_CONSOLE_TRACES"))
    log_level: str = Field("INFO", validation_alias=_env("LOG_LEVEL"))
    log_json: bool = Field(True, validation_alias=_env("SLIPSTREAM_LOG_JSON"))
    # How long a token lookup is trusted: the longest a revoked token still works.
    auth_cache_seconds: float = Field(
        5.0, ge=0, validation_alias=_env("SLIPSTREAM_AUTH_CACHE_SECONDS")
    )
