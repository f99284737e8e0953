"""How much one piece of feedback matters, 0-3 as Productboard's insight importance.

An explicit importance (the Standard body's ``importance``) wins; else the tool's own signal
through a configurable map (Zendesk priority), else the kind's default (a Canny vote is 1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

LOWEST, HIGHEST = 0, 3

ZENDESK_PRIORITY: Mapping[str, int] = {"low": 1, "normal": 1, "high": 2, "urgent": 3}
BY_KIND: Mapping[str, int] = {"vote": 1, "post": 1, "comment": 1, "ticket": 1, "conversation": 1}


@dataclass(frozen=True)
class ImportancePolicy:
    by_kind: Mapping[str, int] = field(default_factory=lambda: dict(BY_KIND))
    zendesk_priority: Mapping[str, int] = field(default_factory=lambda: dict(ZENDESK_PRIORITY))
    fallback: int = 1

    def __post_init__(self) -> None:
        for name, value in {**self.by_kind, **self.zendesk_priority}.items():
            if not LOWEST <= value <= HIGHEST:
                raise ValueError(f"importance for {name!r} is {value}, not within 0-3")


def importance_of(
    explicit: int | None, kind: str, priority: str | None, policy: ImportancePolicy
) -> int:
    if explicit is not None:
        return max(LOWEST, min(HIGHEST, explicit))
    if priority and priority.lower() in policy.zendesk_priority:
        return policy.zendesk_priority[priority.lower()]
    return policy.by_kind.get(kind, policy.fallback)
