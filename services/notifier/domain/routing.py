"""Who hears about a change, on which channel, batched over how long.

Owners hear about their own items by default (their identity matches the item's owner) on
their preferred channel; subscriptions add more. One route per person and channel: when two
rules reach the same person on the same channel, the shorter digest wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from services.notifier.domain.people import ChannelKind, Person
from shared.events import RiskChangedV1, RiskLevel

SEVERITY = {RiskLevel.ON_TRACK: 0, RiskLevel.AT_RISK: 1, RiskLevel.OFF_TRACK: 2}
EVENT_KINDS = ("risk", "release", "demand_surge", "loop_closable")
DEFAULT_DIGEST_SECONDS = 300


@dataclass(frozen=True)
class Change:
    """What happened to one item, as routing and digests need it (no transport details)."""

    cause_id: str
    item_id: str
    level: RiskLevel
    previous_level: RiskLevel | None = None
    kind: str = "risk"
    team: str | None = None
    release_id: str | None = None
    owner: str | None = None
    title: str | None = None
    target: date | None = None
    forecast: date | None = None
    slip_days: int = 0
    reasons: tuple[str, ...] = ()
    chain: tuple[str, ...] = ()


def change_from_risk(event: RiskChangedV1) -> Change:
    return Change(
        cause_id=event.event_id,
        item_id=event.item_id,
        level=event.level,
        previous_level=event.previous_level,
        team=event.team,
        owner=event.owner,
        title=event.title,
        target=event.target,
        forecast=event.forecast,
        slip_days=event.slip_days,
        reasons=tuple(reason.message for reason in event.reasons),
        chain=event.chain,
    )


@dataclass(frozen=True)
class SubscriptionFilter:
    """At most one of team, release, item or owner narrows it; none means everything."""

    team: str | None = None
    release: str | None = None
    item: str | None = None
    owner: str | None = None
    min_level: RiskLevel = RiskLevel.AT_RISK
    events: frozenset[str] = field(default_factory=lambda: frozenset(EVENT_KINDS))

    def matches(self, change: Change) -> bool:
        scoped = (
            (self.team is None or self.team == change.team)
            and (self.release is None or self.release == change.release_id)
            and (self.item is None or self.item == change.item_id)
            and (self.owner is None or self.owner in (change.owner, owner_identity(change)))
        )
        return scoped and change.kind in self.events and reaches(change, self.min_level)


@dataclass(frozen=True)
class Subscription:
    subscription_id: str
    person_id: str
    filter: SubscriptionFilter
    channel: ChannelKind
    digest_seconds: int = DEFAULT_DIGEST_SECONDS


@dataclass(frozen=True)
class Route:
    person_id: str
    channel: ChannelKind
    digest_seconds: int


def owner_identity(change: Change) -> str | None:
    """Sources name owners bare (a GitHub login, a Jira accountId); the item id names the tool."""
    if change.owner is None or ":" in change.owner:
        return change.owner
    tool = change.item_id.partition(":")[0]
    return f"{tool}:{change.owner}"


def reaches(change: Change, min_level: RiskLevel) -> bool:
    """A change matters if either side of it is at the level: going red and coming back both."""
    before = SEVERITY[change.previous_level] if change.previous_level is not None else 0
    return max(SEVERITY[change.level], before) >= SEVERITY[min_level]


def routes_for(
    change: Change, people: Iterable[Person], subscriptions: Iterable[Subscription]
) -> list[Route]:
    by_id = {person.person_id: person for person in people}
    chosen: dict[tuple[str, ChannelKind], int] = {}
    for person in by_id.values():
        channel = person.preferred_channel()
        owns = person.hears_about_own_items and person.is_known_as(owner_identity(change))
        if owns and channel is not None and reaches(change, RiskLevel.AT_RISK):
            chosen[(person.person_id, channel)] = DEFAULT_DIGEST_SECONDS
    for subscription in subscriptions:
        subscriber = by_id.get(subscription.person_id)
        reachable = (
            subscriber is not None and subscription.channel in subscriber.channels.configured()
        )
        if reachable and subscription.filter.matches(change):
            key = (subscription.person_id, subscription.channel)
            digest = subscription.digest_seconds
            chosen[key] = min(chosen.get(key, digest), digest)
    return [Route(person, channel, digest) for (person, channel), digest in sorted(chosen.items())]
