"""Per item, one small record of each live piece of feedback on it: what demand is weighed from.

Weighing an item from the feedback collection reads every piece on it, and a popular item's
pieces grow with the total. The tally keeps, in one document per item, just what weighing
reads (``Ask``) and when each piece was first asked, so a demand update reads one document
per item touched. The feedback store maintains it on every write that can change what
counts: a new version of a piece, and a person's link or unlink. It is derived data: a
rebuild replays the same writes, and ``rebuild feedback --check`` compares it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.feedback.domain.weighing import Ask, Asking
from services.feedback.ports import Asked

FIELDS = ("customer_id", "organisation", "importance", "kind", "priority")


def key_of(feedback_id: str) -> str:
    # A field name under ``pieces``: no "." (a path) and no "$" (an operator). "%" is
    # escaped first, so two feedback ids never share a key.
    return feedback_id.replace("%", "%25").replace(".", "%2E").replace("$", "%24")


def entry(feedback_id: str, feedback: Asking, at: datetime) -> dict[str, Any]:
    return {
        "feedback_id": feedback_id,
        **{name: getattr(feedback, name) for name in FIELDS},
        "at": at,
    }


def asked_of(document: Mapping[str, Any]) -> list[Asked]:
    pieces = document.get("pieces", {}).values()
    return sorted(
        (Asked(p["feedback_id"], Ask(**{n: p.get(n) for n in FIELDS}), p["at"]) for p in pieces),
        key=lambda asked: asked.feedback_id,
    )


@dataclass
class TallyChanges:
    """What one write does to the tallies: pieces to record on items, pieces to drop."""

    record: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    drop: dict[str, set[str]] = field(default_factory=dict)

    def counts(self, feedback_id: str, piece: Asking, at: datetime, on: Iterable[str]) -> None:
        for item in on:
            self.record.setdefault(item, {})[key_of(feedback_id)] = entry(feedback_id, piece, at)

    def stops(self, feedback_id: str, on: Iterable[str]) -> None:
        for item in on:
            self.drop.setdefault(item, set()).add(key_of(feedback_id))

    def updates(self) -> list[tuple[str, dict[str, Any], bool]]:
        """Per item: the update, and whether it may create the tally (only if it records)."""
        found = []
        for item in sorted({*self.record, *self.drop}):
            recorded = self.record.get(item, {})
            dropped = self.drop.get(item, set()) - recorded.keys()
            update: dict[str, Any] = {}
            if recorded:
                update["$set"] = {f"pieces.{k}": v for k, v in recorded.items()}
            if dropped:
                update["$unset"] = {f"pieces.{k}": "" for k in sorted(dropped)}
            if update:
                found.append((item, update, bool(recorded)))
        return found

    def may_empty(self) -> list[str]:
        """Items whose tally may be left with no piece: to delete then, as a rebuild that
        never recorded one would have none."""
        return sorted(self.drop)
