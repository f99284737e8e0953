"""Each contract the notifier takes, as the one ``Change`` shape routing and digests share.

A release slipping is levelled like a risk change (off track while slipping, back on track
when it recovers) so a revert inside a window cancels out; a surge and a closable loop are
news each time and carry what a person needs to act on them in ``reasons`` and ``related``.
"""

from __future__ import annotations

from services.notifier.domain.change import Change
from shared.events import (
    DemandSurgedV1,
    LoopClosableV1,
    ReleaseRiskChangedV1,
    RiskChangedV1,
    RiskLevel,
    WaitingCustomer,
    named,
)


def change_from_risk(event: RiskChangedV1) -> Change:
    titles = {**event.titles, event.item_id: event.title} if event.title else event.titles
    return Change(
        cause_id=event.event_id,
        item_id=event.item_id,
        level=event.level,
        previous_level=event.previous_level,
        team=event.team,
        release_id=event.release_id,
        owner=event.owner,
        title=event.title,
        target=event.target,
        forecast=event.forecast,
        slip_days=event.slip_days,
        reasons=tuple(reason.told(titles) for reason in event.reasons),
        chain=tuple(named(item_id, titles) for item_id in event.chain),
        chain_ids=tuple(event.chain),
        url=event.url,
        customers=event.customers,
        organisations=event.organisations,
    )


def change_from_release(event: ReleaseRiskChangedV1) -> Change:
    slipping = RiskLevel.OFF_TRACK if event.slipping else RiskLevel.ON_TRACK
    was = RiskLevel.ON_TRACK if event.slipping else RiskLevel.OFF_TRACK
    moved = (
        [f"forecast moved from {event.previous_forecast.isoformat()}"]
        if event.previous_forecast and event.previous_forecast != event.forecast
        else []
    )
    return Change(
        cause_id=event.event_id,
        item_id=event.release_id,
        level=slipping,
        previous_level=was,
        kind="release",
        team=event.team,
        release_id=event.release_id,
        title=event.name,
        target=event.target,
        forecast=event.forecast,
        slip_days=event.slip_days,
        reasons=tuple(moved),
        url=event.url,
        related=tuple(named(item_id, event.titles) for item_id in event.threatened_by),
    )


def change_from_surge(event: DemandSurgedV1) -> Change:
    hours = event.window_seconds / 3600
    pace = (
        f"{event.recent} pieces of feedback in the last {hours:g} h "
        f"against a usual {event.baseline:.1f}"
    )
    who = f"{event.customers} customers from {event.organisations} organisations asking"
    return Change(
        cause_id=event.event_id,
        item_id=event.item_id,
        level=RiskLevel.AT_RISK,
        kind="demand_surge",
        title=event.title,
        reasons=(pace, who),
    )


def change_from_loop(event: LoopClosableV1) -> Change:
    because = "is done" if event.because == "done" else "was released"
    owners = sorted({c.account_owner for c in event.customers if c.account_owner})
    return Change(
        cause_id=event.event_id,
        item_id=event.item_id,
        level=RiskLevel.ON_TRACK,
        kind="loop_closable",
        release_id=event.release_id,
        title=event.title,
        reasons=(f"{event.title or event.item_id} {because}: tell the customers who asked",),
        related=tuple(waiting_line(c) for c in event.customers),
        recipients=tuple(owners),
    )


def waiting_line(customer: WaitingCustomer) -> str:
    name = customer.name or customer.customer_id
    org = f" ({customer.organisation_name})" if customer.organisation_name else ""
    mail = f" <{customer.email}>" if customer.email else ""
    where = f" {customer.urls[0]}" if customer.urls else ""
    return f"{name}{org}{mail}{where}"
