"""Read side of feedback: what the API shows, built from feedback's own collections."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from services.feedback.domain.weighing import Directory
from services.feedback.handlers import Weighing
from shared.events import FeedbackReceivedV1


class FeedbackViews:
    def __init__(self, weighing: Weighing) -> None:
        self.weighing = weighing
        self.store = weighing.store

    async def ranked(self, limit: int) -> list[dict[str, Any]]:
        return [
            {"item_id": item_id, **asdict(demand)}
            for item_id, demand in await self.store.ranked_demand(limit)
        ]

    def piece(self, feedback: FeedbackReceivedV1, directory: Directory, how: str) -> dict[str, Any]:
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
            # Closing the loop is not built yet: everyone is still waiting.
            "told": False,
        }

    async def on_item(self, item_id: str) -> list[dict[str, Any]] | None:
        decided = await self.store.links_of(item_id)
        found = await self.store.feedback_on(item_id)
        if not found and not decided:
            return None
        directory = await self.weighing.directory()
        return [
            self.piece(f, directory, "manual" if decided.get(f.feedback_id) else "tool")
            for f in found
        ]

    async def customer(self, customer_id: str) -> dict[str, Any] | None:
        found = await self.store.feedback_from(customer_id)
        if not found:
            return None
        directory = await self.weighing.directory()
        pieces = [self.piece(f, directory, "tool") for f in found]
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
