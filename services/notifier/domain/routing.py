"""Who hears about a change, on which channel, batched over how long.

Owners hear about their own items by default (their identity matches the item's owner) on
their preferred channel; subscriptions add more. One route per person and channel: when two
rules reach the same person on the same channel, the shorter digest wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from services.notifier.domain.change import (
    EVENT_KINDS,
    SEVERITY,
    Change,
    owner_identity,
    reaches,
)
from services.notifier.domain.directory_index import DirectoryIndex
from services.notifier.domain.people import ChannelKind, Person
from shared.events import RiskLevel

__all__ = [
    "DEFAULT_DIGEST_SECONDS",
    "EVENT_KINDS",
    "SEVERITY",
    "Change",
    "Route",
    "Subscription",
    "SubscriptionFilter",
    "routes_for",
    "routes_in",
]

DEFAULT_DIGEST_SECONDS = 300


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


def routes_for(
    change: Change, people: Iterable[Person], subscriptions: Iterable[Subscription]
) -> list[Route]:
    return routes_in(change, DirectoryIndex.build(people, subscriptions))


def routes_in(change: Change, index: DirectoryIndex) -> list[Route]:
    """Owners (and a closable loop's account owners) first, then matching subscriptions."""
    chosen: dict[tuple[str, ChannelKind], int] = {}
    owners = index.known_as([owner_identity(change)])
    for person in owners if reaches(change, RiskLevel.AT_RISK) else ():
        channel = person.preferred_channel()
        if person.hears_about_own_items and channel is not None:
            chosen[(person.person_id, channel)] = DEFAULT_DIGEST_SECONDS
    for person in index.known_as(recipient_identities(change)):
        channel = person.preferred_channel()
        if channel is not None:
            chosen.setdefault((person.person_id, channel), DEFAULT_DIGEST_SECONDS)
    for subscription in index.candidates(change):
        subscriber = index.people.get(subscription.person_id)
        reachable = (
            subscriber is not None and subscription.channel in subscriber.channels.configured()
        )
        if reachable and subscription.filter.matches(change):
            key = (subscription.person_id, subscription.channel)
            digest = subscription.digest_seconds
            chosen[key] = min(chosen.get(key, digest), digest)
    return [Route(person, channel, digest) for (person, channel), digest in sorted(chosen.items())]


def recipient_identities(change: Change) -> list[str]:
    """An account owner is named by a tool identity or a bare email (``email:`` is implied)."""
    return [r if ":" in r else f"email:{r.lower()}" for r in change.recipients]
