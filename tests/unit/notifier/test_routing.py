"""Routing decisions: owners by identity, subscriptions by filter, one route per channel."""

from __future__ import annotations

import pytest

from services.notifier.domain.directory_index import DirectoryIndex
from services.notifier.domain.people import ChannelKind, Channels, Person
from services.notifier.domain.routing import (
    Change,
    Route,
    Subscription,
    SubscriptionFilter,
    routes_for,
)
from shared.events import RiskLevel

pytestmark = pytest.mark.unit

ADA = Person(
    "ada",
    "Ada",
    identities=frozenset({"github:ada", "jira:5b10"}),
    channels=Channels(slack_webhook_url="https://slack.example/ada", email_address="ada@x.io"),
)
BOB = Person("bob", "Bob", channels=Channels(email_address="bob@x.io"))


def change(**overrides: object) -> Change:
    fields: dict[str, object] = {
        "cause_id": "risk-1",
        "item_id": "github:acme/web#7",
        "level": RiskLevel.AT_RISK,
        "previous_level": RiskLevel.ON_TRACK,
        "team": "web",
        "owner": "github:ada",
    }
    return Change(**{**fields, **overrides})  # type: ignore[arg-type]


def test_an_owner_hears_about_their_own_item_on_their_preferred_channel() -> None:
    assert routes_for(change(), [ADA, BOB], []) == [Route("ada", ChannelKind.SLACK, 300)]


def test_an_owner_matched_through_another_tool_identity_still_hears() -> None:
    assert [r.person_id for r in routes_for(change(owner="jira:5b10"), [ADA], [])] == ["ada"]


def test_a_bare_owner_is_qualified_by_the_tool_of_the_item() -> None:
    jira_item = change(item_id="jira:PAY-12", owner="5b10")
    assert [r.person_id for r in routes_for(jira_item, [ADA], [])] == ["ada"]
    assert routes_for(change(item_id="linear:ENG-1", owner="5b10"), [ADA], []) == []
    sub = Subscription("s1", "bob", SubscriptionFilter(owner="jira:5b10"), ChannelKind.EMAIL)
    assert routes_for(jira_item, [BOB], [sub]) == [Route("bob", ChannelKind.EMAIL, 300)]


def test_an_owner_who_turned_it_off_hears_nothing_without_a_subscription() -> None:
    quiet_ada = Person(**{**ADA.__dict__, "hears_about_own_items": False})
    assert routes_for(change(), [quiet_ada], []) == []


def test_a_team_subscription_reaches_a_non_owner_on_the_subscribed_channel() -> None:
    sub = Subscription("s1", "bob", SubscriptionFilter(team="web"), ChannelKind.EMAIL, 0)
    assert Route("bob", ChannelKind.EMAIL, 0) in routes_for(change(), [ADA, BOB], [sub])
    assert routes_for(change(team="mobile", owner=None), [ADA, BOB], [sub]) == []


def test_min_level_off_track_ignores_at_risk_but_hears_the_recovery_from_off_track() -> None:
    sub = Subscription(
        "s1", "bob", SubscriptionFilter(min_level=RiskLevel.OFF_TRACK), ChannelKind.EMAIL
    )
    assert routes_for(change(owner=None), [BOB], [sub]) == []
    recovered = change(owner=None, level=RiskLevel.ON_TRACK, previous_level=RiskLevel.OFF_TRACK)
    assert routes_for(recovered, [BOB], [sub]) == [Route("bob", ChannelKind.EMAIL, 300)]


def test_events_filter_and_item_release_owner_scopes_narrow_a_subscription() -> None:
    releases_only = SubscriptionFilter(events=frozenset({"release"}))
    by_release = SubscriptionFilter(release="r-2026.12")
    subs = [
        Subscription("s1", "bob", releases_only, ChannelKind.EMAIL),
        Subscription("s2", "bob", by_release, ChannelKind.EMAIL),
    ]
    assert routes_for(change(owner=None), [BOB], subs) == []
    assert len(routes_for(change(owner=None, release_id="r-2026.12"), [BOB], subs)) == 1
    by_item = SubscriptionFilter(item="github:acme/web#7", owner="github:ada")
    assert routes_for(change(), [BOB], [Subscription("s3", "bob", by_item, ChannelKind.EMAIL)])


def test_owner_default_and_subscription_on_one_channel_merge_keeping_the_shorter_digest() -> None:
    sub = Subscription("s1", "ada", SubscriptionFilter(team="web"), ChannelKind.SLACK, 30)
    assert routes_for(change(), [ADA], [sub]) == [Route("ada", ChannelKind.SLACK, 30)]


def test_a_subscription_on_a_channel_the_person_has_not_configured_is_skipped() -> None:
    sub = Subscription("s1", "bob", SubscriptionFilter(), ChannelKind.SLACK)
    assert routes_for(change(owner=None), [BOB], [sub]) == []


def test_a_subscription_for_an_unknown_person_is_skipped() -> None:
    sub = Subscription("s1", "ghost", SubscriptionFilter(), ChannelKind.EMAIL)
    assert routes_for(change(owner=None), [BOB], [sub]) == []


def test_the_index_offers_only_subscriptions_scoped_to_the_change_and_unscoped_ones() -> None:
    teams = [
        Subscription(f"t{n}", "bob", SubscriptionFilter(team=f"team-{n}"), ChannelKind.EMAIL)
        for n in range(1000)
    ]
    everything = Subscription("all", "bob", SubscriptionFilter(), ChannelKind.EMAIL)
    index = DirectoryIndex.build([ADA, BOB], [*teams, everything])
    found = index.candidates(change(team="team-7"))
    assert [s.subscription_id for s in found] == ["t7", "all"]
    assert [p.person_id for p in index.known_as(["jira:5b10", "github:nobody"])] == ["ada"]
