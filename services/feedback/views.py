"""Read side of feedback: what the API shows, built from feedback's own collections."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from services.feedback.domain.surges import rate, trend
from services.feedback.domain.tag_rules import how_linked
from services.feedback.domain.weighing import Directory
from services.feedback.handlers import Weighing
from services.feedback.ports import WorkProjection
from shared.events import FeedbackReceivedV1


class FeedbackViews:
    def __init__(self, weighing: Weighing, work: WorkProjection) -> None:
        self.weighing = weighing
        self.store = weighing.store
        self.work = work

    async def ranked(
        self, limit: int, now: datetime, team: str | None = None, release: str | None = None
    ) -> list[dict[str, Any]]:
        among = (
            None if team is None and release is None else await self.work.items_where(team, release)
        )
        ranked = await self.store.ranked_demand(limit, among)
        ids = [item_id for item_id, _ in ranked]
        asked = await self.store.asked_on(ids)
        titles = await self.work.titles(ids)
        return [
            {
                "item_id": item_id,
                "title": titles.get(item_id),
                **asdict(demand),
                "trend": self.trend([a.at for a in asked[item_id]], now),
            }
            for item_id, demand in ranked
        ]

    def trend(self, asked: list[datetime], now: datetime) -> dict[str, Any]:
        policy = self.weighing.surges
        found = rate(asked, now, policy)
        return {
            "window_hours": policy.window.total_seconds() / 3600,
            "per_window": trend(asked, now, policy),
            "recent": found.recent,
            "baseline": found.baseline,
            "surging": found.surging(policy),
        }

    def piece(
        self,
        feedback: FeedbackReceivedV1,
        directory: Directory,
        how: str | dict[str, str],
        told: bool = False,
    ) -> dict[str, Any]:
        waiting = self.weighing.rules.waiting(feedback, directory)
        return {
            "feedback_id": feedback.feedback_id,
            "customer_id": waiting.customer_id,
            "customer_name": feedback.customer_name,
            "organisation_id": waiting.organisation_id,
            "source": feedback.source.value,
            "kind": feedback.kind,
            "url": feedback.url,
            "text": feedback.text,
            "importance": waiting.importance,
            "linked_by": how,
            "at": feedback.source_updated_at.isoformat(),
            # Told once a closable loop naming this piece was announced.
            "told": told,
            "state": "told" if told else "waiting",
        }

    async def on_item(self, item_id: str) -> list[dict[str, Any]] | None:
        decided = await self.store.links_of(item_id)
        found = await self.store.feedback_on(item_id)
        if not found and not decided:
            return None
        directory = await self.weighing.directory()
        told = await self.work.told(item_id)
        return [
            self.piece(
                f,
                directory,
                how_linked(f, item_id, decided.get(f.feedback_id)),
                f.feedback_id in told,
            )
            for f in found
        ]

    async def customer(self, customer_id: str) -> dict[str, Any] | None:
        found = await self.store.feedback_from(customer_id)
        if not found:
            return None
        directory = await self.weighing.directory()
        pieces = [
            self.piece(f, directory, {i: how_linked(f, i, None) for i in f.item_ids}) for f in found
        ]
        return {
            "customer_id": customer_id,
            "name": next((f.customer_name for f in found if f.customer_name), None),
            "organisation_id": pieces[-1]["organisation_id"],
            "items": sorted({i for f in found if not f.retracted for i in f.item_ids}),
            "feedback": pieces,
        }

    async def organisation(self, organisation_id: str) -> dict[str, Any] | None:
        known = (await self.weighing.directory()).organisations.get(organisation_id)
        if known is None:
            return None
        return {**asdict(known), "domains": list(known.domains)}
