"""Planned dates set outside an item (GitHub project fields), merged into the item.

A schedule change names its item by canonical id or, for GitHub, by ``github-node:<node id>``
(the delivery knows nothing else). Each field is its own document in ``schedules``, guarded
by the source's clock, so a start edit and a target edit never overwrite each other. The
merge is decided from stored documents, never from arrival order: a schedule that arrives
before its item waits in ``schedules`` until the item names its node id, and one that
arrives after finds the item by the indexed ``node_id``.

A project date field is a deliberate plan, so a set one overrides the item's own date (for
GitHub, the milestone's due date); a cleared one gives the item its own date back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from services.scheduler.aliases import tool_ref
from services.scheduler.documents import (
    from_bson_date,
    item_from_changed,
    item_from_document,
    to_bson_date,
)
from services.scheduler.domain import Item, Portfolio
from services.scheduler.ports import WorkStore
from shared.events import Event, ItemChangedV1, ItemScheduleChangedV1, ScheduleField


def refs_of(item_id: str, node_id: str | None) -> tuple[str, ...]:
    """Every name a schedule change may use for this item."""
    ref = tool_ref(item_id, node_id)
    return (item_id,) if ref is None else (item_id, ref)


def schedule_id(ref: str, field: ScheduleField) -> str:
    return f"{ref} {field.value}"


def schedule_documents(event: ItemScheduleChangedV1) -> list[tuple[str, dict[str, Any]]]:
    """(key, document) per field the change sets; ``date`` None means cleared."""
    return [
        (
            schedule_id(event.item_ref, field),
            {
                "item_ref": event.item_ref,
                "field": field.value,
                "date": to_bson_date(event.start if field is ScheduleField.START else event.target),
                "source": event.source.value,
                "source_updated_at": event.source_updated_at,
            },
        )
        for field in dict.fromkeys(event.fields)
    ]


def planned(item: Item, plans: Iterable[dict[str, Any]]) -> Item:
    """The item with its newest plan per field applied; cleared plans leave its own date."""
    newest: dict[str, dict[str, Any]] = {}
    for plan in plans:
        seen = newest.get(plan["field"])
        if seen is None or (plan["source_updated_at"], plan["item_ref"]) > (
            seen["source_updated_at"],
            seen["item_ref"],
        ):
            newest[plan["field"]] = plan
    start, target = (newest.get(f.value, {}).get("date") for f in ScheduleField)
    return replace(
        item,
        start=from_bson_date(start) if start else item.start,
        target=from_bson_date(target) if target else item.target,
    )


def by_ref(plans: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for plan in plans:
        grouped.setdefault(plan["item_ref"], []).append(plan)
    return grouped


def plans_of(refs: Iterable[str], grouped: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [plan for ref in refs for plan in grouped.get(ref, ())]


async def apply_plans(store: WorkStore, portfolio: Portfolio, applied: Sequence[Event]) -> None:
    """Re-upsert, merged with their plans, the items these applied events touched.

    Changed items are re-upserted only when a plan exists (the plain item is already in);
    items a schedule change names are always re-upserted, since a cleared plan must give
    the item its own date back.
    """
    touched: dict[str, tuple[Item, str | None]] = {
        e.item_id: (item_from_changed(e), e.node_id)
        for e in applied
        if isinstance(e, ItemChangedV1)
    }
    named = {e.item_ref for e in applied if isinstance(e, ItemScheduleChangedV1)}
    rescheduled: set[str] = set()
    for document in await store.items_known_as(named) if named else ():
        if not document.get("removed"):
            rescheduled.add(document["_id"])
            touched.setdefault(
                document["_id"], (item_from_document(document), document.get("node_id"))
            )
    if not touched:
        return
    refs = {ref for item, node in touched.values() for ref in refs_of(item.id, node)}
    grouped = by_ref(await store.plans_for(refs))
    for item_id, (item, node) in touched.items():
        plans = plans_of(refs_of(item_id, node), grouped)
        if plans or item_id in rescheduled:
            portfolio.upsert_item(planned(item, plans))
