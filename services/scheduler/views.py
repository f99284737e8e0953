"""Read side: the risk table, one item with its chain, a release, straight from the projections.

Views read MongoDB, never the in-memory portfolio, so every replica answers the same; what
they derive (the whole chain, a release's forecast and the items threatening it, its slip)
comes from the same domain functions the engine uses, applied to the stored documents.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.scheduler.aliases import all_names, deciding_edges, names_for
from services.scheduler.documents import edge_is_live, stored_reasons, told_reasons
from services.scheduler.domain.dates import NO_DATE, day_of, ordinal
from services.scheduler.domain.explanation import continue_chain, first_links
from services.scheduler.domain.forecast import slip
from services.scheduler.domain.reasons.release_at_risk import outlook
from services.scheduler.projections import MongoWorkStore
from services.scheduler.risk_table import RANK, RiskTable

NOT_REMOVED = {"removed": {"$ne": True}}


def page_token(document: dict[str, Any]) -> str:
    """Where the next page starts: just after this row in ``RANK`` order (opaque to clients)."""
    raw = json.dumps([float(document.get("score") or 0.0), document["_id"]]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def after_token(token: str) -> tuple[float, str]:
    """The row a ``page_token`` names; ValueError if it is not one this API gave out."""
    try:
        score, item_id = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, UnicodeDecodeError, TypeError, ValueError) as exc:
        raise ValueError("not a page token from this API") from exc
    if not isinstance(score, int | float) or not isinstance(item_id, str):
        raise ValueError("not a page token from this API")
    return float(score), item_id


def day(moment: datetime | None) -> str | None:
    return None if moment is None else moment.date().isoformat()


def day_ordinal(moment: datetime | None) -> int:
    return ordinal(None if moment is None else moment.date())


def risk_row(document: dict[str, Any]) -> dict[str, Any]:
    return {
        "item_id": document["_id"],
        "title": document.get("title"),
        "level": document.get("level"),
        "score": document.get("score"),
        "slip_days": document.get("slip_days"),
        "target": day(document.get("target")),
        "forecast": day(document.get("forecast")),
        "team": document.get("team"),
        "owner": document.get("owner"),
        "release_id": document.get("release_id"),
        "reasons": stored_reasons(document),
        "chain": document.get("chain", []),
    }


def demand_of(document: dict[str, Any] | None) -> dict[str, Any]:
    """Who waits on the item itself (not its dependants), as feedback last reported it."""
    document = document or {}
    return {
        "customers": document.get("customers", 0),
        "organisations": document.get("organisations") or 0,
        "arr_waiting": document.get("arr_waiting"),
        "weight": document.get("weight", 0.0),
    }


def chain_member(item_id: str, assessment: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "title": item.get("title"),
        "team": item.get("team"),
        "status": item.get("status"),
        "level": assessment.get("level"),
        "target": day(assessment.get("target")),
        "forecast": day(assessment.get("forecast")),
        "slip_days": assessment.get("slip_days"),
        "url": item.get("url"),
    }


def with_told(reasons: list[dict[str, Any]], titles: dict[str, str]) -> list[dict[str, Any]]:
    """Each stored reason with ``told``: its message naming its blocker by title too."""
    told = told_reasons(reasons, titles)
    return [{**reason, "told": words} for reason, words in zip(reasons, told, strict=True)]


async def names_in(
    collection: AsyncCollection[dict[str, Any]], field: str, ids: set[str]
) -> dict[str, str]:
    """``field`` of each document of ``ids`` that has one, by id."""
    if not ids:
        return {}
    found = collection.find({"_id": {"$in": sorted(ids)}}, projection={field: 1})
    return {d["_id"]: d[field] async for d in found if d.get(field)}


class RiskViews:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.assessments = db["assessments"]
        self.items = db["items"]
        self.releases = db["releases"]
        self.store = MongoWorkStore(db)
        self.demand = db["demand"]
        self.table = RiskTable(db)

    async def ranked(
        self, filters: dict[str, str], limit: int, after: tuple[float, str] | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of the risk table from ``after`` on, and the token of the next (or None).

        Keyset paging (``RiskTable``) in plain index ranges rather than one ``$or``, which
        some servers answer with a collection scan: page 100 costs what page 1 does, and
        rows do not shift when others arrive ahead.
        """
        documents = await self.table.rows(filters, after, limit + 1)
        page = documents[:limit]
        token = page_token(page[-1]) if len(documents) > limit else None
        rows = [risk_row(document) for document in page]
        waiting = await self.demand_on([row["item_id"] for row in rows])
        names = await self.release_names({row["release_id"] for row in rows} - {None})
        titles = await self.blocker_titles(rows)
        return [
            {
                **row,
                "reasons": with_told(row["reasons"], titles),
                "release_name": names.get(row["release_id"]),
                "demand": demand_of(waiting.get(row["item_id"])),
            }
            for row in rows
        ], token

    async def release_names(self, ids: set[str]) -> dict[str, str]:
        """What people call the page's releases ("Checkout launch", not its tracker id)."""
        return await names_in(self.releases, "name", ids)

    async def blocker_titles(self, rows: list[dict[str, Any]]) -> dict[str, str]:
        """What the blockers the rows' reasons name by id are called."""
        ids = {reason.get("blocker_id") for row in rows for reason in row["reasons"]}
        return await names_in(self.items, "title", ids - {None})

    async def verdicts(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """Each of the items' level and forecast, as stored: one read for a page of them."""
        fields = {"level": 1, "forecast": 1}
        found = self.assessments.find({"_id": {"$in": ids}}, projection=fields)
        return {
            d["_id"]: {"level": d.get("level"), "forecast": day(d.get("forecast"))}
            async for d in found
        }

    async def demand_on(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        return {d["_id"]: d async for d in self.demand.find({"_id": {"$in": ids}})}

    async def by_id(self, name: str, ids: list[str]) -> dict[str, dict[str, Any]]:
        collection = self.assessments if name == "assessments" else self.items
        return {d["_id"]: d async for d in collection.find({"_id": {"$in": ids}})}

    async def full_chain(self, assessment: dict[str, Any]) -> list[str]:
        """Stored chains stop at the policy's limit; each member's own chain continues it."""
        chain = first_links(assessment["_id"], assessment.get("chain") or ())
        while len(chain) > 1:
            last = await self.assessments.find_one({"_id": chain[-1]}, {"chain": 1})
            if not continue_chain(chain, [] if last is None else last.get("chain", [])):
                break
        return chain

    async def one(self, item_id: str) -> dict[str, Any] | None:
        """The item, its assessment, and the explanation: its critical chain, member by member.

        A key from before a Jira project move answers with the item under its key now.
        """
        item_id = (await names_for(self.store, [item_id])).of(item_id)
        item = await self.items.find_one({"_id": item_id, **NOT_REMOVED})
        if item is None:
            return None
        assessment = await self.assessments.find_one({"_id": item_id}) or {"_id": item_id}
        chain = await self.full_chain(assessment)
        assessments = await self.by_id("assessments", chain)
        items = await self.by_id("items", chain)
        explanation = [
            chain_member(i, assessments.get(i, {}), items.get(i, {})) for i in chain if i in items
        ]
        row = risk_row({**item, **assessment})
        names = await self.release_names({row["release_id"]} - {None})
        titles = await self.blocker_titles([row])
        return {
            **row,
            "reasons": with_told(row["reasons"], titles),
            "release_name": names.get(row["release_id"]),
            "status": item.get("status"),
            "start": day(item.get("start")),
            "url": item.get("url"),
            "chain": chain,
            "explanation": explanation,
            "blockers": await self.blockers(item_id),
            "demand": demand_of(await self.demand.find_one({"_id": item_id})),
        }

    async def blockers(self, item_id: str) -> list[dict[str, Any]]:
        """What blocks the item and where each edge was stated (``jira-link``, ...)."""
        names = await names_for(self.store, [item_id])
        mine = all_names(names, [item_id])
        edges = await self.store.documents("dependencies", {"blocked_id": {"$in": sorted(mine)}})
        names = await names_for(self.store, mine | {edge["blocker_id"] for edge in edges})
        deciding = deciding_edges(edges, names).values()
        removed_at = await self.store.removed_at({edge["blocker_id"] for edge in deciding})
        live = sorted(
            (e for e in deciding if edge_is_live(e, removed_at)), key=lambda e: e["blocker_id"]
        )
        items = await self.by_id("items", [edge["blocker_id"] for edge in live])
        return [
            {
                "item_id": edge["blocker_id"],
                "title": items.get(edge["blocker_id"], {}).get("title"),
                "status": items.get(edge["blocker_id"], {}).get("status"),
                # Events from before origins were recorded say only which tool sent them.
                "origin": edge.get("origin") or edge.get("source"),
            }
            for edge in live
        ]

    async def release(self, release_id: str) -> dict[str, Any] | None:
        """Its due date, its forecast (latest among its items) and the items past the due date."""
        release = await self.releases.find_one({"_id": release_id})
        members = [d async for d in self.assessments.find({"release_id": release_id}).sort(RANK)]
        if release is None and not members:
            return None
        release = release or {}
        # As the engine's ReleaseBook: only an open release has a due date to be late for.
        due = day_ordinal(release.get("due")) if release.get("state", "open") == "open" else NO_DATE
        latest, late = outlook(due, {d["_id"]: day_ordinal(d.get("forecast")) for d in members})
        threatened = frozenset(late)
        threatening = [risk_row(d) for d in members if d["_id"] in threatened]
        forecast = day_of(latest)
        return {
            "release_id": release_id,
            "name": release.get("name"),
            "state": release.get("state"),
            "team": release.get("team"),
            "url": release.get("url"),
            "due": day(release.get("due")),
            "forecast": None if forecast is None else forecast.isoformat(),
            "slip_days": slip(latest, due),
            "items": len(members),
            "threatening": threatening,
        }
