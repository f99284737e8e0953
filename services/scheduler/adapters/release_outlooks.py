"""What was last announced of each release's outlook, in MongoDB (see ``release_watch``)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from shared.mongo import save_whole

Document = dict[str, Any]


class MongoReleaseOutlooks:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.releases_collection = db["releases"]
        self.collection = db["release_outlooks"]

    async def release_ids(self) -> set[str]:
        projected = await self.releases_collection.distinct("_id")
        recorded = await self.collection.distinct("_id")
        return {str(rid) for rid in (*projected, *recorded)}

    async def releases(self, ids: Collection[str]) -> dict[str, Document]:
        cursor = self.releases_collection.find({"_id": {"$in": sorted(ids)}})
        return {d["_id"]: d async for d in cursor}

    async def outlooks(self, ids: Collection[str]) -> dict[str, Document]:
        return {d["_id"]: d async for d in self.collection.find({"_id": {"$in": sorted(ids)}})}

    async def save(self, records: Sequence[Document], *, fresh: bool = False) -> None:
        await save_whole(self.collection, records, fresh=fresh)

    async def restore(self, records: Sequence[Document]) -> None:
        """Add records for releases that have none; a record already there is newer or equal
        (it was written by the announcer, the stream only repeats what it announced)."""
        if records:
            await self.collection.bulk_write(
                [UpdateOne({"_id": r["_id"]}, {"$setOnInsert": r}, upsert=True) for r in records],
                ordered=False,
            )
