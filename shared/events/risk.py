"""Events the scheduler publishes when an item's delivery risk changes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from shared.events.base import Event


class RiskLevel(StrEnum):
    """Linear's and Productboard's vocabulary, so product teams read it without a legend."""

    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"


class RiskReason(BaseModel):
    """One reason an item is at risk, with the evidence a person needs to check it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    code: str
    message: str
    blocker_id: str | None = None
    evidence: dict[str, str] = {}

    def told(self, titles: Mapping[str, str]) -> str:
        """The message as a person reads it: the engine names the blocker by id (a rename
        must not rewrite every dependant's assessment), this says which item that is."""
        blocker = self.blocker_id
        if blocker and blocker in titles:
            return self.message.replace(blocker, named(blocker, titles), 1)
        return self.message


def named(item_id: str, titles: Mapping[str, str]) -> str:
    """An id as a person reads it: what the item is, then the id to find it by."""
    title = titles.get(item_id)
    return f"{title} ({item_id})" if title and title != item_id else item_id


class RiskChangedV1(Event):
    """An item's level, score band or reasons changed."""

    subject: ClassVar[str] = "risk.item.changed.v1"

    item_id: str
    level: RiskLevel
    previous_level: RiskLevel | None = None
    score: float = 0.0
    slip_days: int = 0
    target: date | None = None
    forecast: date | None = None
    reasons: tuple[RiskReason, ...] = ()
    chain: tuple[str, ...] = ()
    title: str | None = None
    team: str | None = None
    owner: str | None = None
    # Added later, optional: the item in its own tool, and the release it belongs to.
    url: str | None = None
    release_id: str | None = None
    # Added later, optional: who waits on the item itself as feedback last reported it, so
    # an owner is told why this one matters first; None where nobody waits.
    customers: int | None = None
    organisations: int | None = None
    # Added later, optional: the titles of the other items the reasons and the chain name,
    # as the scheduler knew them when it announced, so a message can say what each id is.
    titles: dict[str, str] = {}


class ReleaseRiskChangedV1(Event):
    """A release's forecast moved past its target date, or back within it."""

    subject: ClassVar[str] = "risk.release.changed.v1"

    release_id: str
    name: str
    slipping: bool
    target: date | None = None
    forecast: date | None = None
    previous_forecast: date | None = None
    slip_days: int = 0
    team: str | None = None
    url: str | None = None
    # The items whose forecasts carry the release past its date, worst first.
    threatened_by: tuple[str, ...] = ()
    # Added later, optional: the titles of those items, as the scheduler knew them.
    titles: dict[str, str] = {}
