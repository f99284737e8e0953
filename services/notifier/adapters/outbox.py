"""The outbox: each message recorded (rendered, with its destination) before any send.

It lives in the ``notifications`` collection beside the per-event webhook log, so
``GET /notifications`` shows both. ``due_at`` is a durable timer: the worker claims due
messages by pushing ``due_at`` a lease into the future, so a crashed worker's claim simply
expires and another tick sends it; nothing sleeps holding a consumer.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, ReturnDocument, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

from services.notifier.domain.retry import AttemptResult, Verdict
from shared.mongo import insert_new

DUE_STATES = ("pending", "retrying")
LEASE = timedelta(seconds=60)
BORN = "born"  # the claim of a message its recorder sends itself (see record_claimed)


class MongoOutbox:
    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self.collection = collection

    async def ensure_indexes(self) -> None:
        """What each tick asks: due messages, and a person's recent sends for the throttle."""
        await self.collection.create_index([("status", ASCENDING), ("due_at", ASCENDING)])
        await self.collection.create_index(
            [("person_id", ASCENDING), ("channel", ASCENDING), ("sent_at", ASCENDING)]
        )
        await self.collection.create_index([("cause_event_ids", ASCENDING)])

    async def record_all(self, messages: list[dict[str, Any]], now: datetime) -> int:
        """Record many intents at once; ids already recorded (replays) are left as they are."""
        return len(await self.inserted([pending(m, now, now) for m in messages]))

    async def record_claimed(
        self, messages: list[dict[str, Any]], now: datetime
    ) -> list[dict[str, Any]]:
        """Record intents already claimed by the caller, who sends them: the new ones.

        A message recorded to go at once is claimed as it is written, so sending it costs no
        claim round trips (they were most of a notification's time in the outbox). Should the
        caller die before sending, the lease runs out and any tick sends it, as after any claim.
        """
        documents = [pending(m, now, now + LEASE) | {"claim": BORN} for m in messages]
        return await self.inserted(documents)

    async def inserted(self, documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Insert each document whose id is not recorded yet; those it inserted, in order."""
        if not documents:
            return []
        replays = await insert_new(self.collection, documents)
        return [d for index, d in enumerate(documents) if index not in replays]

    async def claim_due(self, now: datetime, limit: int) -> list[dict[str, Any]]:
        """Claim up to ``limit`` due messages in three round trips, oldest first.

        The conditional ``update_many`` is what makes a claim exclusive: a message another
        replica leased a moment ago no longer has ``due_at <= now`` and is not taken again;
        the claim token then tells which of the candidates this call actually won.
        """
        due = {"status": {"$in": list(DUE_STATES)}, "due_at": {"$lte": now}}
        query = {**due, "channel": {"$exists": True}}
        cursor = self.collection.find(query, projection={"_id": 1}).sort("due_at", 1)
        ids = [d["_id"] async for d in cursor.limit(limit)]
        if not ids:
            return []
        token = uuid.uuid4().hex
        await self.collection.update_many(
            {**due, "_id": {"$in": ids}}, {"$set": {"due_at": now + LEASE, "claim": token}}
        )
        won = {
            d["_id"]: d async for d in self.collection.find({"_id": {"$in": ids}, "claim": token})
        }
        return [won[i] for i in ids if i in won]

    async def claim(self, now: datetime) -> dict[str, Any] | None:
        return await self.collection.find_one_and_update(
            {
                "status": {"$in": list(DUE_STATES)},
                "due_at": {"$lte": now},
                "channel": {"$exists": True},
            },
            {"$set": {"due_at": now + LEASE}},
            sort=[("due_at", 1)],
            return_document=ReturnDocument.AFTER,
        )

    async def settle(
        self, message_id: str, result: AttemptResult, verdict: Verdict, now: datetime
    ) -> None:
        await self.settle_all([(message_id, result, verdict)], now)

    async def settle_all(
        self, attempts: Sequence[tuple[str, AttemptResult, Verdict]], now: datetime
    ) -> None:
        """Record what each attempt came to: one ``update_many`` per distinct outcome.

        A run's sends mostly end alike (sent, 200), and their updates then differ only in the
        ``_id``. On the embedded server each update of a bulk write is its own journaled
        transaction, an ``update_many`` is one: half the cost per message (0.34 vs 0.74 ms).
        """
        # Keyed by what ``settled`` writes (a Retry-After is already in the verdict's time).
        alike: dict[tuple[Verdict, int | None, str | None], tuple[AttemptResult, list[str]]] = {}
        for message_id, result, verdict in attempts:
            outcome = (verdict, result.status_code, result.error)
            alike.setdefault(outcome, (result, []))[1].append(message_id)
        for (verdict, _, _), (result, message_ids) in alike.items():
            update = settled(result, verdict, now)
            await self.collection.update_many({"_id": {"$in": message_ids}}, update)

    async def recorded_causes(
        self, routes: list[tuple[str, str]], cause_ids: list[str]
    ) -> dict[tuple[str, str], set[str]]:
        """Which of these causes each person and channel already has a message for."""
        if not cause_ids:
            return {}
        people = sorted({p for p, _ in routes})
        query = {"person_id": {"$in": people}, "cause_event_ids": {"$in": sorted(set(cause_ids))}}
        fields = {"person_id": 1, "channel": 1, "cause_event_ids": 1}
        found: dict[tuple[str, str], set[str]] = {}
        async for d in self.collection.find(query, projection=fields):
            found.setdefault((d["person_id"], d["channel"]), set()).update(d["cause_event_ids"])
        return found

    async def sent_since_all(
        self, routes: list[tuple[str, str]], since: datetime
    ) -> dict[tuple[str, str], list[datetime]]:
        """``sent_since`` for many people and channels in one query."""
        if not routes:
            return {}
        query = {"person_id": {"$in": sorted({p for p, _ in routes})}, "sent_at": {"$gt": since}}
        cursor = self.collection.find(
            query, projection={"person_id": 1, "channel": 1, "sent_at": 1}
        )
        found: dict[tuple[str, str], list[datetime]] = {}
        async for d in cursor:
            found.setdefault((d["person_id"], d.get("channel", "")), []).append(d["sent_at"])
        return found

    async def sent_since(self, person_id: str, channel: str, since: datetime) -> list[datetime]:
        """What the throttle counts: messages sent to this person on this channel lately."""
        query = {"person_id": person_id, "channel": channel, "sent_at": {"$gt": since}}
        cursor = self.collection.find(query, projection={"sent_at": 1})
        return [d["sent_at"] async for d in cursor]

    async def hold(self, message_ids: list[str], due_times: list[datetime]) -> None:
        """Move claimed messages' timers: they wait behind one that must wait."""
        moves = [
            UpdateOne({"_id": message_id}, {"$set": {"due_at": due_at}})
            for message_id, due_at in zip(message_ids, due_times, strict=True)
        ]
        if moves:
            await self.collection.bulk_write(moves, ordered=False)


def pending(message: dict[str, Any], now: datetime, due_at: datetime) -> dict[str, Any]:
    """A message as first recorded: not yet attempted, due at ``due_at``."""
    document = {**message, "status": "pending", "due_at": due_at, "attempts": 0}
    return document | {"attempt_log": [], "created_at": now, "updated_at": now}


def settled(result: AttemptResult, verdict: Verdict, now: datetime) -> dict[str, Any]:
    """The update that records one attempt's outcome on its message."""
    fields: dict[str, Any] = {"status": verdict.state, "updated_at": now}
    fields |= {"status_code": result.status_code, "error": result.error}
    if verdict.state == "sent":
        fields["sent_at"] = now
    if verdict.retry_at is not None:
        fields["due_at"] = verdict.retry_at
    attempt = {"at": now, "status": verdict.state}
    attempt |= {"status_code": result.status_code, "error": result.error}
    return {"$set": fields, "$inc": {"attempts": 1}, "$push": {"attempt_log": attempt}}
