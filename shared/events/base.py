"""The envelope every canonical event shares."""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict


class Source(StrEnum):
    """Where an event came from: a vendor, or Slipstream itself."""

    GITHUB = "github"
    JIRA = "jira"
    LINEAR = "linear"
    ZENDESK = "zendesk"
    INTERCOM = "intercom"
    CANNY = "canny"
    STANDARD = "standard"
    SLIPSTREAM = "slipstream"


class Event(BaseModel):
    """Base of every canonical event.

    Frozen so a handler cannot mutate what it received; ``extra="ignore"`` so an older
    consumer tolerates optional fields a newer producer added within the same version.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    subject: ClassVar[str]

    event_id: str
    occurred_at: AwareDatetime
    source: Source
    delivery_id: str | None = None


def derive_event_id(*parts: str) -> str:
    """A stable id from what makes an event unique, so a retried delivery yields the same ids."""
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16)
    return digest.hexdigest()
