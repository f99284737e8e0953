"""The HTTP shapes of people and subscriptions, validated strictly and turned into domain values.

Bodies forbid unknown fields so a typo (``quiet_hour``) is a 422, not a silently ignored wish.
"""

from __future__ import annotations

from datetime import time
from typing import Literal, Self, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.notifier.domain.people import ChannelKind, Channels, Person, QuietHours
from services.notifier.domain.report_schedule import WEEKDAYS, ReportSchedule
from services.notifier.domain.routing import (
    DEFAULT_DIGEST_SECONDS,
    EVENT_KINDS,
    Subscription,
    SubscriptionFilter,
)
from shared.events import RiskLevel
from shared.standard_webhooks import SECRET_PREFIX, secret_key

EventKind = Literal["risk", "release", "demand_surge", "loop_closable", "report"]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
Strict = ConfigDict(extra="forbid", frozen=True)
URL_PATTERN = r"^https?://\S+$"


class SlackChannelBody(BaseModel):
    model_config = Strict
    webhook_url: str = Field(pattern=URL_PATTERN)


class EmailChannelBody(BaseModel):
    model_config = Strict
    address: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")


class WebhookChannelBody(BaseModel):
    model_config = Strict
    url: str = Field(pattern=URL_PATTERN)
    secret: str

    @field_validator("secret")
    @classmethod
    def is_a_standard_webhooks_secret(cls, value: str) -> str:
        if not value.startswith(SECRET_PREFIX):
            raise ValueError(f"a signing secret starts with {SECRET_PREFIX}")
        secret_key(value)  # raises on non-base64
        return value


class ChannelsBody(BaseModel):
    model_config = Strict
    slack: SlackChannelBody | None = None
    email: EmailChannelBody | None = None
    webhook: WebhookChannelBody | None = None


class QuietHoursBody(BaseModel):
    model_config = Strict
    start: time
    end: time


class PersonBody(BaseModel):
    model_config = Strict
    name: str = Field(min_length=1)
    email: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+$")
    identities: list[str] = []
    channels: ChannelsBody = ChannelsBody()
    timezone: str = "UTC"
    quiet_hours: QuietHoursBody | None = None
    hears_about_own_items: bool = True

    @field_validator("identities")
    @classmethod
    def identities_name_their_tool(cls, values: list[str]) -> list[str]:
        for value in values:
            tool, _, ident = value.partition(":")
            if not tool or not ident:
                raise ValueError(f"{value!r} is not tool:id (github:octocat, jira:5b10…)")
        return values

    @field_validator("timezone")
    @classmethod
    def timezone_exists(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    def to_domain(self, person_id: str) -> Person:
        c = self.channels
        email_identity = {f"email:{self.email.lower()}"} if self.email else set()
        quiet = self.quiet_hours
        return Person(
            person_id=person_id,
            name=self.name,
            identities=frozenset(self.identities) | email_identity,
            channels=Channels(
                slack_webhook_url=c.slack.webhook_url if c.slack else None,
                email_address=c.email.address if c.email else self.email,
                webhook_url=c.webhook.url if c.webhook else None,
                webhook_secret=c.webhook.secret if c.webhook else None,
            ),
            timezone=self.timezone,
            quiet_hours=QuietHours(quiet.start, quiet.end) if quiet else None,
            hears_about_own_items=self.hears_about_own_items,
        )


class FilterBody(BaseModel):
    model_config = Strict
    team: str | None = None
    release: str | None = None
    item: str | None = None
    owner: str | None = None
    min_level: Literal[RiskLevel.AT_RISK, RiskLevel.OFF_TRACK] = RiskLevel.AT_RISK
    events: list[EventKind] = Field(
        default_factory=lambda: cast(list[EventKind], list(EVENT_KINDS)), min_length=1
    )

    @model_validator(mode="after")
    def at_most_one_scope(self) -> Self:
        scopes = [s for s in (self.team, self.release, self.item, self.owner) if s is not None]
        if len(scopes) > 1:
            raise ValueError("a filter names at most one of team, release, item or owner")
        return self


class ScheduleBody(BaseModel):
    """When the weekly report goes out, on the person's own clock (their ``timezone``)."""

    model_config = Strict
    weekday: Weekday
    hour: int = Field(ge=0, le=23)


class SubscriptionBody(BaseModel):
    model_config = Strict
    person_id: str = Field(min_length=1)
    filter: FilterBody = FilterBody()
    channel: ChannelKind
    digest_seconds: int = Field(DEFAULT_DIGEST_SECONDS, ge=0, le=86_400)
    schedule: ScheduleBody | None = None

    @model_validator(mode="after")
    def a_report_has_a_schedule_and_nothing_else(self) -> Self:
        events = set(self.filter.events)
        if "report" in events and events != {"report"}:
            raise ValueError('a report subscription has events ["report"] only')
        if ("report" in events) != (self.schedule is not None):
            raise ValueError('events ["report"] needs a schedule {"weekday", "hour"}, and only it')
        return self

    def report_schedule(self) -> ReportSchedule | None:
        s = self.schedule
        return ReportSchedule(WEEKDAYS.index(s.weekday), s.hour) if s else None

    def to_domain(self, subscription_id: str) -> Subscription:
        f = self.filter
        return Subscription(
            subscription_id=subscription_id,
            person_id=self.person_id,
            filter=SubscriptionFilter(
                f.team, f.release, f.item, f.owner, RiskLevel(f.min_level), frozenset(f.events)
            ),
            channel=self.channel,
            digest_seconds=self.digest_seconds,
        )
