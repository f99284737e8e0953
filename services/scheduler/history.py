"""Risk history: one document per announced change, and what was at risk at an instant.

A history entry is made from the ``RiskChangedV1`` event alone, so replaying the RISK stream
(``rebuild``) writes the same documents the announcer did. Entries are keyed by the event's id:
a redelivered or retried announcement keeps the first copy, as JetStream's de-duplication does.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from services.scheduler.documents import packed_reasons, to_bson_date
from shared.events import RiskChangedV1


def history_document(event: RiskChangedV1) -> dict[str, Any]:
    return {
        "_id": event.event_id,
        "item_id": event.item_id,
        "at": event.occurred_at,
        "level": event.level.value,
        "previous_level": event.previous_level.value if event.previous_level else None,
        "score": event.score,
        "slip_days": event.slip_days,
        "target": to_bson_date(event.target),
        "forecast": to_bson_date(event.forecast),
        "reasons": packed_reasons(event.reasons),
        "chain": list(event.chain),
        "title": event.title,
        "team": event.team,
        "owner": event.owner,
    }


def latest_per_item(entries: Iterable[dict[str, Any]], instant: datetime) -> list[dict[str, Any]]:
    """Each item's last entry at or before ``instant``, ranked like ``/risk`` (score, then id).

    Entries at the same instant are told apart by id so the answer never depends on read order.
    """
    latest: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if entry["at"] > instant:
            continue
        seen = latest.get(entry["item_id"])
        if seen is None or (entry["at"], entry["_id"]) > (seen["at"], seen["_id"]):
            latest[entry["item_id"]] = entry
    return sorted(latest.values(), key=lambda e: (-(e.get("score") or 0.0), e["item_id"]))


def matches(entry: dict[str, Any], filters: dict[str, str]) -> bool:
    return all(entry.get(key) == value for key, value in filters.items())
