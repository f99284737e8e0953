"""The weekly report's figures, computed from risk history and the current assessments.

Pure functions over plain documents (as stored), so each figure is unit-tested by hand. An item
with no history entry at the period's start had never been announced at risk: it counts as on
track then, its forecast within its target.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.scheduler.documents import stored_reasons, told_reasons
from services.scheduler.history import latest_per_item

Document = dict[str, Any]
RISKY = ("at_risk", "off_track")


@dataclass(frozen=True)
class ReleaseLine:
    release_id: str
    name: str
    due: datetime | None
    forecast: datetime | None
    forecast_before: datetime | None

    @property
    def slip_days(self) -> int:
        return late_by(self.forecast, self.due)

    @property
    def moved_days(self) -> int:
        return late_by(self.forecast, self.forecast_before)


@dataclass(frozen=True)
class Chain:
    item_id: str
    title: str | None
    slip_days: int
    members: tuple[str, ...]
    root_cause: str
    why: str
    # What the members are called, so the report names each beside its id.
    titles: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Waiting:
    item_id: str
    title: str | None
    customers: int
    weight: float
    level: str
    forecast: datetime | None


@dataclass(frozen=True)
class WeeklyReport:
    since: datetime
    until: datetime
    releases: list[ReleaseLine]
    newly_at_risk: list[Document]
    recovered: list[Document]
    chains: list[Chain]
    demand: list[Waiting]
    at_risk_by_day: list[tuple[datetime, int]]


def late_by(later: datetime | None, earlier: datetime | None) -> int:
    return 0 if later is None or earlier is None else (later - earlier).days


def forecasts_then(
    current: Sequence[Document], history: Sequence[Document], since: datetime
) -> dict[str, datetime | None]:
    """Each current item's forecast at ``since``: its last entry then, else its target."""
    then = {e["item_id"]: e for e in latest_per_item(history, since)}
    return {
        d["_id"]: then.get(d["_id"], {"forecast": d.get("target")}).get("forecast") for d in current
    }


def release_lines(
    current: Sequence[Document], releases: Sequence[Document], history: Sequence[Document],
    since: datetime,
) -> list[ReleaseLine]:  # fmt: skip
    """Every open release: due date, forecast now and at ``since`` (latest among its items)."""
    before = forecasts_then(current, history, since)
    lines = []
    for release in sorted(releases, key=lambda r: (r.get("due") is None, r.get("due"), r["_id"])):
        if release.get("state", "open") != "open":
            continue
        members = [d for d in current if d.get("release_id") == release["_id"]]
        lines.append(
            ReleaseLine(
                release_id=release["_id"],
                name=release.get("name") or release["_id"],
                due=release.get("due"),
                forecast=max((d["forecast"] for d in members if d.get("forecast")), default=None),
                forecast_before=max(
                    (f for d in members if (f := before.get(d["_id"])) is not None), default=None
                ),
            )
        )
    return lines


def movements(
    current: Sequence[Document], history: Sequence[Document], since: datetime
) -> tuple[list[Document], list[Document]]:
    """Items that became at risk in the period, and items that came back on track."""
    then = {e["item_id"]: e.get("level") for e in latest_per_item(history, since)}
    now = {d["_id"]: d for d in current}
    ranked = sorted(current, key=lambda d: (-(d.get("score") or 0.0), d["_id"]))
    newly = [d for d in ranked if d.get("level") in RISKY and then.get(d["_id"]) not in RISKY]
    recovered_ids = [
        i for i, level in sorted(then.items()) if level in RISKY and now_level(now, i) not in RISKY
    ]
    recovered = [now.get(i, {"_id": i, "level": "on_track"}) for i in recovered_ids]
    return newly, recovered


def now_level(now: dict[str, Document], item_id: str) -> str:
    return str(now.get(item_id, {}).get("level", "on_track"))


def longest_chains(current: Sequence[Document], count: int = 3) -> list[Chain]:
    """Slipping items with the longest chains behind them; the last member is the root cause."""
    slipping = [d for d in current if d.get("level") in RISKY and (d.get("slip_days") or 0) > 0]
    slipping.sort(key=lambda d: (-len(d.get("chain") or ()), -(d.get("slip_days") or 0), d["_id"]))
    titles = {d["_id"]: d["title"] for d in current if d.get("title")}
    return [chain_of(d, titles) for d in slipping[:count]]


def chain_of(document: Document, titles: dict[str, str]) -> Chain:
    members = tuple(document.get("chain") or (document["_id"],))
    return Chain(
        item_id=document["_id"],
        title=document.get("title"),
        slip_days=int(document.get("slip_days") or 0),
        members=members,
        root_cause=members[-1],
        why="; ".join(told_reasons(stored_reasons(document), titles)),
        titles={m: titles[m] for m in members if m in titles},
    )


def waiting_demand(
    current: Sequence[Document], demand: Sequence[Document], count: int = 5
) -> list[Waiting]:
    """Where customers wait: the items with the most demand weight, with their risk."""
    now = {d["_id"]: d for d in current}
    heaviest = sorted(demand, key=lambda d: (-(d.get("weight") or 0.0), d["_id"]))[:count]
    return [
        Waiting(
            item_id=d["_id"],
            title=now.get(d["_id"], {}).get("title"),
            customers=int(d.get("customers") or 0),
            weight=float(d.get("weight") or 0.0),
            level=now_level(now, d["_id"]),
            forecast=now.get(d["_id"], {}).get("forecast"),
        )
        for d in heaviest
        if (d.get("weight") or 0.0) > 0
    ]


def at_risk_by_day(
    history: Sequence[Document], since: datetime, until: datetime
) -> list[tuple[datetime, int]]:
    """How many items were at risk at the start and at the end of each day of the period."""
    moments = [since]
    while moments[-1] < until:
        moments.append(min(moments[-1] + timedelta(days=1), until))
    return [
        (moment, sum(e.get("level") in RISKY for e in latest_per_item(history, moment)))
        for moment in moments
    ]


def weekly_report(
    current: Sequence[Document], releases: Sequence[Document], history: Sequence[Document],
    demand: Sequence[Document], since: datetime, until: datetime,
) -> WeeklyReport:  # fmt: skip
    newly, recovered = movements(current, history, since)
    return WeeklyReport(
        since=since,
        until=until,
        releases=release_lines(current, releases, history, since),
        newly_at_risk=newly,
        recovered=recovered,
        chains=longest_chains(current),
        demand=waiting_demand(current, demand),
        at_risk_by_day=at_risk_by_day(history, since, until),
    )
