"""Mapping between canonical events, domain values and Mongo documents.

BSON has no date type, so calendar dates are stored as midnight UTC datetimes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from functools import cache, lru_cache
from typing import Any

from bson.tz_util import utc as bson_utc
from pydantic import TypeAdapter

from services.scheduler.domain import Assessment, Item, Release, Signature
from services.scheduler.domain.model import QUIET
from shared.events import (
    ItemChangedV1,
    ItemStatus,
    ReleaseChangedV1,
    ReleaseState,
    RiskLevel,
    RiskReason,
)


def to_bson_date(day: date | None) -> datetime | None:
    return None if day is None else _midnight_utc(day)


@lru_cache(maxsize=4096)
def _midnight_utc(day: date) -> datetime:
    """Midnight UTC, in the driver's own UTC (``tz_aware`` decodes to ``bson.tz_util.utc``):
    comparing two datetimes that share a tzinfo object skips both ``utcoffset`` calls, which
    made a restart's comparison of 100,000 stored assessments with the engine's 0.1 s
    slower. Few days recur (targets, forecasts), so each is made once."""
    return datetime(day.year, day.month, day.day, tzinfo=bson_utc)


def from_bson_date(moment: datetime | None) -> date | None:
    return None if moment is None else moment.date()


def item_document(event: ItemChangedV1) -> dict[str, Any]:
    return {
        "title": event.title,
        "status": event.status.value,
        "team": event.team,
        "owner": event.owner,
        "target": to_bson_date(event.target),
        "start": to_bson_date(event.start),
        "done_at": event.done_at,
        "release_id": event.release_id,
        "url": event.url,
        "labels": list(event.labels),
        "parent_id": event.parent_id,
        "node_id": event.node_id,
        "source": event.source.value,
        "source_updated_at": event.source_updated_at,
        "removed": False,
    }


def item_from_document(document: dict[str, Any]) -> Item:
    done_at = document.get("done_at")
    return Item(
        id=document["_id"],
        title=document.get("title", ""),
        status=ItemStatus(document["status"]),
        team=document.get("team"),
        owner=document.get("owner"),
        target=from_bson_date(document.get("target")),
        start=from_bson_date(document.get("start")),
        done_on=done_at.date() if done_at else None,
        release_id=document.get("release_id"),
        updated_at=document.get("source_updated_at"),
        url=document.get("url"),
    )


def release_document(event: ReleaseChangedV1) -> dict[str, Any]:
    return {
        "name": event.name,
        "state": event.state.value,
        "due": to_bson_date(event.due),
        "team": event.team,
        "url": event.url,
        "source": event.source.value,
        "source_updated_at": event.source_updated_at,
    }


def release_from_document(document: dict[str, Any]) -> Release:
    return Release(
        id=document["_id"],
        name=document.get("name", ""),
        due=from_bson_date(document.get("due")),
        state=ReleaseState(document.get("state", ReleaseState.OPEN.value)),
    )


def assessment_document(assessment: Assessment, item: Item | None) -> dict[str, Any]:
    return {
        "level": assessment.level.value,
        "score": assessment.score,
        "band": assessment.band,
        "slip_days": assessment.slip_days,
        "forecast": to_bson_date(assessment.forecast),
        "target": to_bson_date(assessment.target),
        "reasons": packed_reasons(assessment.reasons),
        "chain": list(assessment.chain),
        "title": item.title if item else None,
        "team": item.team if item else None,
        "owner": item.owner if item else None,
        "release_id": item.release_id if item else None,
    }


@cache
def _reasons_json() -> TypeAdapter[tuple[RiskReason, ...]]:
    return TypeAdapter(tuple[RiskReason, ...])


def packed_reasons(reasons: Sequence[RiskReason]) -> str:
    """An assessment's reasons as one JSON string, the way they are stored.

    The embedded server decodes and re-encodes every stored element each time a document is
    read or written; stored as a list, the reasons were most of an assessment's elements
    (100,000 assessments: read in 4.3-5.0 s as lists, 2.4 s packed).
    """
    if not reasons:
        return "[]"  # two items in five: no serializer call for them
    return _reasons_json().dump_json(tuple(reasons)).decode()


def stored_reasons(document: dict[str, Any]) -> list[dict[str, Any]]:
    """A stored assessment's reasons as plain values: packed, or a list (older versions)."""
    reasons = document.get("reasons", [])
    return json.loads(reasons) if isinstance(reasons, str) else list(reasons)


def stored_alike(stored: dict[str, Any] | None, document: dict[str, Any]) -> bool:
    """Whether ``stored`` already says what ``document`` does, though an older version may
    have stored its reasons as a list: those documents are left as they are until they
    change, rather than all rewritten at once on the first start after an upgrade (100,000
    assessments: two minutes)."""
    if stored is None:
        return False
    if stored == document:
        return True
    if not isinstance(stored.get("reasons"), list):
        return False
    return {**stored, "reasons": packed_reasons(reasons_from_document(stored))} == document


def reasons_from_document(document: dict[str, Any]) -> tuple[RiskReason, ...]:
    reasons = document.get("reasons", [])
    if isinstance(reasons, str):
        return _reasons_json().validate_json(reasons)
    return tuple(RiskReason.model_validate(reason) for reason in reasons)


def told_reasons(reasons: list[dict[str, Any]], titles: Mapping[str, str]) -> list[str]:
    """Stored reasons in words, each naming its blocker by title too (``RiskReason.told``)."""
    return [RiskReason.model_validate(reason).told(titles) for reason in reasons]


def signature_of_document(document: dict[str, Any] | None) -> Signature:
    """The engine's change signature, rebuilt from a stored assessment (reasons keep order)."""
    if document is None:
        return QUIET
    reasons = tuple(
        (str(r["code"]), str(r.get("blocker_id") or "")) for r in stored_reasons(document)
    )
    return (RiskLevel(document["level"]), int(document["band"]), reasons)


def assessment_from_document(document: dict[str, Any]) -> Assessment:
    """What was last stored, as the engine's value (for "before" in a change event)."""
    return Assessment(
        item_id=document["_id"],
        level=RiskLevel(document["level"]),
        score=float(document.get("score", 0.0)),
        band=int(document["band"]),
        slip_days=int(document.get("slip_days", 0)),
        forecast=from_bson_date(document.get("forecast")),
        target=from_bson_date(document.get("target")),
        reasons=reasons_from_document(document),
        chain=tuple(document.get("chain", ())),
        signature=signature_of_document(document),
    )


def edge_is_live(edge: dict[str, Any], removed_at: dict[str, datetime]) -> bool:
    """An edge counts when present and newer than any removal of either end.

    Deleting an item drops its edges (trackers delete the links without telling us); a
    dependency event dated after the deletion re-creates the edge. Deciding this from the
    stored clocks, not from arrival order, keeps live and rebuilt projections identical.
    """
    if not edge.get("present"):
        return False
    at = edge["source_updated_at"]
    return all(
        (gone := removed_at.get(end)) is None or at > gone
        for end in (edge["blocker_id"], edge["blocked_id"])
    )


def item_from_changed(event: ItemChangedV1) -> Item:
    return Item(
        id=event.item_id,
        title=event.title,
        status=event.status,
        team=event.team,
        owner=event.owner,
        target=event.target,
        start=event.start,
        done_on=event.done_at.date() if event.done_at else None,
        release_id=event.release_id,
        updated_at=event.source_updated_at,
        url=event.url,
    )


def release_from_changed(event: ReleaseChangedV1) -> Release:
    return Release(id=event.release_id, name=event.name, due=event.due, state=event.state)
