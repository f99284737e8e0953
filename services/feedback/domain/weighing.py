"""From stored feedback to the demand on one item: resolve each piece, then weigh them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

from services.feedback.domain.customers import normalised
from services.feedback.domain.demand import Demand, DemandPolicy, Waiting, demand_from
from services.feedback.domain.importance import ImportancePolicy, importance_of
from services.feedback.domain.organisations import Organisation, organisation_for


class Asking(Protocol):
    """What weighing reads of a piece of feedback: who asked, and how loudly."""

    @property
    def customer_id(self) -> str: ...
    @property
    def organisation(self) -> str | None: ...
    @property
    def importance(self) -> int | None: ...
    @property
    def kind(self) -> str: ...
    @property
    def priority(self) -> str | None: ...
    @property
    def retracted(self) -> bool: ...


@dataclass(frozen=True)
class Ask:
    """Just what weighing reads of one live piece, kept per item so demand is weighed from
    one small record per piece instead of the whole stored feedback."""

    customer_id: str
    organisation: str | None = None
    importance: int | None = None
    kind: str = "comment"
    priority: str | None = None
    retracted: bool = False

    @classmethod
    def of(cls, feedback: Asking) -> Ask:
        return cls(
            feedback.customer_id,
            feedback.organisation,
            feedback.importance,
            feedback.kind,
            feedback.priority,
            feedback.retracted,
        )


@dataclass(frozen=True)
class Directory:
    """What we know about organisations: the file's rows overlaid with the API's."""

    organisations: Mapping[str, Organisation] = field(default_factory=dict)

    @cached_property
    def domains(self) -> dict[str, str]:
        # Cached: every piece of feedback on every item looks its domain up here.
        return {d: o.organisation_id for o in self.organisations.values() for d in o.domains}

    def arr(self) -> dict[str, float]:
        return {i: o.arr for i, o in self.organisations.items() if o.arr is not None}


@dataclass(frozen=True)
class DemandRules:
    public_domains: frozenset[str] = frozenset()
    importance: ImportancePolicy = field(default_factory=ImportancePolicy)
    demand: DemandPolicy = field(default_factory=DemandPolicy)

    def waiting(self, feedback: Asking, directory: Directory) -> Waiting:
        customer = normalised(feedback.customer_id)
        organisation = organisation_for(
            feedback.organisation, customer, self.public_domains, directory.domains
        )
        importance = importance_of(
            feedback.importance, feedback.kind, feedback.priority, self.importance
        )
        return Waiting(customer, organisation, importance)

    def weigh(self, feedback: Iterable[Asking], directory: Directory) -> Demand:
        live = [self.waiting(f, directory) for f in feedback if not f.retracted]
        return demand_from(live, directory.arr(), self.demand)
