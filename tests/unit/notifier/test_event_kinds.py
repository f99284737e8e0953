"""Release risk, demand surges and closable loops: what they mean, who hears, what they say."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from services.notifier.domain.digest import collect
from services.notifier.domain.email_message import email_content
from services.notifier.domain.message_content import headline, link_for
from services.notifier.domain.people import ChannelKind, Channels, Person
from services.notifier.domain.routing import Route, Subscription, SubscriptionFilter, routes_for
from services.notifier.domain.slack_blocks import slack_message
from services.notifier.handlers import CHANGES_TO_NOTIFY
from services.notifier.outbox_worker import rendered
from shared.events import (
    DemandSurgedV1,
    LoopClosableV1,
    ReleaseRiskChangedV1,
    RiskChangedV1,
    RiskLevel,
    RiskReason,
    Source,
    WaitingCustomer,
)
from tests.support.notifier_receivers import block_kit_errors

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
COMMON = {"occurred_at": NOW, "source": Source.SLIPSTREAM}
RELEASE = ReleaseRiskChangedV1(
    event_id="rel-1", **COMMON, release_id="github:acme/web/milestone/3", name="Launch",
    slipping=True, target=date(2026, 12, 10), forecast=date(2026, 12, 18),
    previous_forecast=date(2026, 12, 9), slip_days=8, team="web",
    threatened_by=("github:acme/web#7", "github:acme/web#9"),
    titles={"github:acme/web#7": "Checkout redesign"},
)  # fmt: skip
SURGE = DemandSurgedV1(
    event_id="surge-1", **COMMON, item_id="jira:PAY-12", recent=14, baseline=1.5,
    window_seconds=86_400, customers=9, organisations=4, weight=12.0, title="Pay by link",
)  # fmt: skip
LOOP = LoopClosableV1(
    event_id="loop-1", **COMMON, item_id="github:acme/web#7", because="done", title="Export",
    customers=(
        WaitingCustomer(customer_id="c1", name="Ann", email="ann@acme.io",
                        organisation_name="Acme", account_owner="Kim@Slipstream.io",
                        urls=("https://acme.zendesk.com/tickets/1",)),
        WaitingCustomer(customer_id="c2", name="Bo", account_owner="jira:5b10"),
    ),
)  # fmt: skip
KIM = Person("kim", "Kim", frozenset({"email:kim@slipstream.io"}),
             Channels(email_address="kim@slipstream.io"))  # fmt: skip
LEE = Person("lee", "Lee", frozenset({"jira:5b10"}), Channels(slack_webhook_url="https://s/x"))
OPS = Person("ops", "Ops", channels=Channels(webhook_url="https://h/x", webhook_secret="whsec_"))


def subscribed(events: set[str], **scope: str) -> Subscription:
    return Subscription(
        "s1", "ops", SubscriptionFilter(**scope, events=frozenset(events)), ChannelKind.WEBHOOK, 0
    )


def test_a_slipping_release_is_off_track_with_the_items_threatening_it() -> None:
    change = CHANGES_TO_NOTIFY(RELEASE)
    assert (change.kind, change.level, change.previous_level) == (
        "release", RiskLevel.OFF_TRACK, RiskLevel.ON_TRACK,
    )  # fmt: skip
    assert change.related == ("Checkout redesign (github:acme/web#7)", "github:acme/web#9")
    assert change.reasons == ("forecast moved from 2026-12-09",)
    assert headline([change]) == "Release Launch is slipping past its date"


def test_a_release_subscription_hears_the_release_and_not_a_risk_change() -> None:
    sub = subscribed({"release"}, release=RELEASE.release_id)
    assert routes_for(CHANGES_TO_NOTIFY(RELEASE), [OPS], [sub]) == [
        Route("ops", ChannelKind.WEBHOOK, 0)
    ]
    risk = RiskChangedV1(event_id="r1", **COMMON, item_id="github:acme/web#7",
                         level=RiskLevel.AT_RISK, release_id=RELEASE.release_id)  # fmt: skip
    assert routes_for(CHANGES_TO_NOTIFY(risk), [OPS], [sub]) == []


def test_a_demand_surge_reaches_a_subscriber_whatever_their_min_level() -> None:
    sub = Subscription("s1", "ops", SubscriptionFilter(
        item="jira:PAY-12", min_level=RiskLevel.OFF_TRACK, events=frozenset({"demand_surge"})
    ), ChannelKind.WEBHOOK, 0)  # fmt: skip
    change = CHANGES_TO_NOTIFY(SURGE)
    assert routes_for(change, [OPS], [sub]) == [Route("ops", ChannelKind.WEBHOOK, 0)]
    assert "14 pieces of feedback in the last 24 h against a usual 1.5" in change.reasons
    assert headline([change]) == "Pay by link has a surge of customer demand"


def test_a_closable_loop_goes_to_each_account_owner_by_email_or_identity() -> None:
    change = CHANGES_TO_NOTIFY(LOOP)
    routes = routes_for(change, [KIM, LEE, OPS], [subscribed({"loop_closable"})])
    assert routes == [
        Route("kim", ChannelKind.EMAIL, 300),
        Route("lee", ChannelKind.SLACK, 300),
        Route("ops", ChannelKind.WEBHOOK, 0),
    ]
    assert change.related[0] == "Ann (Acme) <ann@acme.io> https://acme.zendesk.com/tickets/1"


def test_a_surge_and_a_risk_change_on_one_item_are_two_entries_that_never_cancel() -> None:
    risk = CHANGES_TO_NOTIFY(RiskChangedV1(
        event_id="r1", **COMMON, item_id="jira:PAY-12", level=RiskLevel.AT_RISK,
        previous_level=RiskLevel.ON_TRACK,
    ))  # fmt: skip
    surge = CHANGES_TO_NOTIFY(SURGE)
    window = collect(None, "ops", "webhook", risk, 300, NOW)
    window = collect(window, "ops", "webhook", surge, 300, NOW, last_told=RiskLevel.AT_RISK)
    assert sorted(c.kind for c in window.ranked()) == ["demand_surge", "risk"]
    assert headline(window.ranked()) == "2 updates: 1 risk change, 1 demand surge"


@pytest.mark.parametrize("event", [RELEASE, SURGE, LOOP], ids=lambda e: type(e).__name__)
def test_each_kind_renders_on_every_channel(event: object) -> None:
    change = CHANGES_TO_NOTIFY(event)  # type: ignore[arg-type]
    slack = slack_message([change])
    assert block_kit_errors(slack) == []
    mail = email_content([change])
    assert mail.subject.startswith("[Slipstream] ")
    assert change.item_id in mail.plain
    assert "<li " in mail.html
    window = collect(None, "ops", "webhook", change, 0, NOW)
    row = rendered(window, 1, OPS, window.ranked())
    assert json.loads(json.dumps(row["payload"]))["data"]["items"][0]["kind"] == change.kind
    assert row["headline"] == headline([change]), "the log says what the message said"


def test_loop_and_release_messages_list_who_waits_and_what_threatens() -> None:
    loop = slack_message([CHANGES_TO_NOTIFY(LOOP)])["blocks"][1]["text"]["text"]
    assert "*Waiting:*" in loop
    assert "• Ann (Acme)" in loop
    plain = email_content([CHANGES_TO_NOTIFY(RELEASE)]).plain
    assert "Threatened by: Checkout redesign (github:acme/web#7)\n" in plain
    assert "https://github.com/acme/web/milestone/3" in plain


def test_links_use_the_event_url_else_what_a_github_id_encodes() -> None:
    assert link_for("jira:PAY-12", "https://acme.atlassian.net/browse/PAY-12") == (
        "https://acme.atlassian.net/browse/PAY-12"
    )
    assert link_for("github:acme/web#12") == "https://github.com/acme/web/issues/12"
    assert link_for("jira:PAY-12") is None
    assert link_for("linear:ENG-1") is None


def test_a_risk_change_says_what_each_id_it_names_is_when_it_knows() -> None:
    blocker = "github:acme/api#42"
    reason = RiskReason(
        code="blocker_late",
        message=f"{blocker} is forecast to finish on 2027-01-05, after this item's planned target",
        blocker_id=blocker,
    )
    event = RiskChangedV1(
        event_id="r1", **COMMON, item_id="github:acme/web#7", level=RiskLevel.OFF_TRACK,
        title="Checkout redesign", reasons=(reason,), chain=("github:acme/web#7", blocker),
        titles={blocker: "Payments API v2"},
    )  # fmt: skip
    change = CHANGES_TO_NOTIFY(event)
    assert change.reasons == (
        "Payments API v2 (github:acme/api#42) is forecast to finish on 2027-01-05, "
        "after this item's planned target",
    )
    assert change.chain == (
        "Checkout redesign (github:acme/web#7)",
        "Payments API v2 (github:acme/api#42)",
    )
    assert change.chain_ids == event.chain  # to link each member to its own page
    slack = slack_message([change])["blocks"][1]["text"]["text"]
    assert "*Why:* Payments API v2 (github:acme/api#42) is forecast" in slack
    # An announcement from before titles were carried reads as it always did.
    untitled = CHANGES_TO_NOTIFY(event.model_copy(update={"titles": {}, "title": None}))
    assert untitled.reasons == (reason.message,)
    assert untitled.chain == event.chain
