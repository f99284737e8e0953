"""Closing the loop: when the work customers waited on is done or released, who to tell.

A closure is announced once: an item finishing is one closure (``done``), each release of
it shipping another (``released``, keyed by the release). It names every customer whose
live feedback waits on the item then; a piece named by any announced closure is "told",
the rest are still "waiting". Nobody waiting means nothing to announce.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from services.feedback.domain.customers import EMAIL_PREFIX
from services.feedback.domain.weighing import DemandRules, Directory
from shared.events import FeedbackReceivedV1, ItemStatus, WaitingCustomer, derive_event_id

DONE, RELEASED = "done", "released"


@dataclass(frozen=True)
class WorkItem:
    item_id: str
    status: str | None = None
    title: str | None = None
    team: str | None = None
    release_id: str | None = None


@dataclass(frozen=True)
class Closure:
    item_id: str
    because: str
    release_id: str | None = None

    @property
    def key(self) -> str:
        return " ".join(p for p in (self.item_id, self.because, self.release_id) if p)


def announcement_id(closure: Closure, late: Iterable[str] = ()) -> str:
    """The event id announcing ``closure``; with ``late`` feedback ids, announcing those
    pieces, asked after the closure was announced (one id per closure and set of pieces)."""
    return derive_event_id("loop", closure.key, *sorted(late))


def record_key(closure: Closure, event_id: str) -> str:
    """Where an announcement is remembered: the closure's own key for its first, which is
    what ``closed`` looks up; a key of its own for each late one."""
    return closure.key if event_id == announcement_id(closure) else f"{closure.key} {event_id}"


def closures_of(item: WorkItem, released: Iterable[str] = ()) -> list[Closure]:
    """The closures an item's current state calls for; ``released``: its shipped releases."""
    found = [Closure(item.item_id, DONE)] if item.status == ItemStatus.DONE.value else []
    if item.release_id and item.release_id in set(released):
        found.append(Closure(item.item_id, RELEASED, item.release_id))
    return found


def waiting_customers(
    feedback: Iterable[FeedbackReceivedV1], rules: DemandRules, directory: Directory
) -> tuple[WaitingCustomer, ...]:
    """One entry per customer, with every piece and URL they left, and who owns the account."""
    grouped: dict[str, list[FeedbackReceivedV1]] = {}
    organisation: dict[str, str | None] = {}
    for piece in feedback:
        if piece.retracted:
            continue
        waiting = rules.waiting(piece, directory)
        grouped.setdefault(waiting.customer_id, []).append(piece)
        organisation[waiting.customer_id] = waiting.organisation_id
    customers = []
    for customer_id, pieces in sorted(grouped.items()):
        org_id = organisation[customer_id]
        known = directory.organisations.get(org_id) if org_id else None
        customers.append(
            WaitingCustomer(
                customer_id=customer_id,
                name=next((p.customer_name for p in pieces if p.customer_name), None),
                email=customer_id[len(EMAIL_PREFIX) :]
                if customer_id.startswith(EMAIL_PREFIX)
                else None,
                organisation_id=org_id,
                organisation_name=(known.name if known else None)
                or next((p.organisation for p in pieces if p.organisation), None),
                account_owner=known.owner if known else None,
                feedback_ids=tuple(sorted(p.feedback_id for p in pieces)),
                urls=tuple(sorted({p.url for p in pieces if p.url})),
            )
        )
    return tuple(customers)
