"""A person the notifier can reach: who they are in each tool, where and when to reach them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from enum import StrEnum


class ChannelKind(StrEnum):
    SLACK = "slack"
    EMAIL = "email"
    WEBHOOK = "webhook"


@dataclass(frozen=True)
class QuietHours:
    """Local wall-clock times; a start after the end wraps past midnight (22:00 → 07:00)."""

    start: time
    end: time


@dataclass(frozen=True)
class Channels:
    slack_webhook_url: str | None = None
    email_address: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None

    def configured(self) -> tuple[ChannelKind, ...]:
        """In preference order: chat first, then mail, then a machine webhook."""
        present = {
            ChannelKind.SLACK: self.slack_webhook_url,
            ChannelKind.EMAIL: self.email_address,
            ChannelKind.WEBHOOK: self.webhook_url,
        }
        return tuple(kind for kind, value in present.items() if value)


@dataclass(frozen=True)
class Person:
    person_id: str
    name: str
    identities: frozenset[str] = frozenset()
    channels: Channels = field(default_factory=Channels)
    timezone: str = "UTC"
    quiet_hours: QuietHours | None = None
    hears_about_own_items: bool = True

    def is_known_as(self, identity: str | None) -> bool:
        """Identities are ``tool:id`` (``github:octocat``); the email counts as one too."""
        return identity is not None and identity in self.identities

    def preferred_channel(self) -> ChannelKind | None:
        configured = self.channels.configured()
        return configured[0] if configured else None
