"""Everyone and every subscription, indexed so routing one change costs what matches it.

Scanning 1,000 people and their subscriptions for each of 10,000 changes is ten million
checks; the index looks up the owner's identity and the change's team, release, item and
owner keys instead, and only the subscriptions found there (plus unscoped ones) are judged
by ``SubscriptionFilter.matches``, which stays the one home of the rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from services.notifier.domain.change import Change, owner_identity
from services.notifier.domain.people import Person

if TYPE_CHECKING:  # routing builds indexes, so it imports this module, not the reverse
    from services.notifier.domain.routing import Subscription

Key = tuple[str, str]


def scope_key(subscription: Subscription) -> Key | None:
    """The first scope a filter names is enough to find it; ``matches`` checks the rest."""
    f = subscription.filter
    for scope, value in (("team", f.team), ("release", f.release), ("item", f.item)):
        if value is not None:
            return (scope, value)
    return ("owner", f.owner) if f.owner is not None else None


def change_keys(change: Change) -> set[Key]:
    keys: set[Key] = {("item", change.item_id)}
    keys |= {("team", change.team)} if change.team else set()
    keys |= {("release", change.release_id)} if change.release_id else set()
    keys |= {("owner", o) for o in (change.owner, owner_identity(change)) if o}
    return keys


@dataclass(frozen=True)
class DirectoryIndex:
    people: Mapping[str, Person] = field(default_factory=dict)
    by_identity: Mapping[str, tuple[Person, ...]] = field(default_factory=dict)
    scoped: Mapping[Key, tuple[Subscription, ...]] = field(default_factory=dict)
    unscoped: tuple[Subscription, ...] = ()

    @classmethod
    def build(
        cls, people: Iterable[Person], subscriptions: Iterable[Subscription]
    ) -> DirectoryIndex:
        by_id = {person.person_id: person for person in people}
        identities: dict[str, list[Person]] = {}
        for person in by_id.values():
            for identity in person.identities:
                identities.setdefault(identity, []).append(person)
        scoped: dict[Key, list[Subscription]] = {}
        unscoped: list[Subscription] = []
        for subscription in subscriptions:
            key = scope_key(subscription)
            if key is None:
                unscoped.append(subscription)
            else:
                scoped.setdefault(key, []).append(subscription)
        return cls(
            by_id,
            {k: tuple(v) for k, v in identities.items()},
            {k: tuple(v) for k, v in scoped.items()},
            tuple(unscoped),
        )

    def known_as(self, identities: Iterable[str | None]) -> list[Person]:
        found = {p.person_id: p for i in identities if i for p in self.by_identity.get(i, ())}
        return [found[k] for k in sorted(found)]

    def candidates(self, change: Change) -> list[Subscription]:
        """Subscriptions that might match: those scoped to one of the change's keys, and all
        unscoped ones; each is still judged by its filter."""
        found = [s for key in sorted(change_keys(change)) for s in self.scoped.get(key, ())]
        return found + list(self.unscoped)
