"""People and subscriptions in MongoDB, owned by the notifier; bodies stored as validated.

Routing reads them through ``index()``, kept in memory and rebuilt only when the directory
changed: every write bumps one counter document, so a replica that did not make the write
sees it on its next batch (one ``find_one`` per batch instead of reading everyone per change).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.notifier.adapters.report_timers import REPORT_TIMERS, MongoReportTimers
from services.notifier.domain.directory_index import DirectoryIndex
from services.notifier.domain.people import Person
from services.notifier.domain.report_schedule import next_run
from services.notifier.domain.routing import Subscription
from services.notifier.schemas import PersonBody, SubscriptionBody

PEOPLE = "notifier_people"
SUBSCRIPTIONS = "notifier_subscriptions"
VERSIONS = "notifier_directory_version"
VERSION_ID = "directory"


class MongoDirectory:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.people = db[PEOPLE]
        self.subscriptions = db[SUBSCRIPTIONS]
        self.versions = db[VERSIONS]
        self.report_timers = MongoReportTimers(db[REPORT_TIMERS])
        self.cached: tuple[int, DirectoryIndex] | None = None

    async def changed(self) -> None:
        await self.versions.update_one({"_id": VERSION_ID}, {"$inc": {"version": 1}}, upsert=True)

    async def version(self) -> int:
        found = await self.versions.find_one({"_id": VERSION_ID})
        return int(found["version"]) if found else 0

    async def index(self) -> DirectoryIndex:
        """The version is read before the data, so a write racing the load is seen next time."""
        version = await self.version()
        if self.cached is None or self.cached[0] != version:
            people, subscriptions = await self.snapshot()
            self.cached = (version, DirectoryIndex.build(people, subscriptions))
        return self.cached[1]

    async def put_person(self, person_id: str, body: PersonBody) -> bool:
        """Replace or create; True when the person is new."""
        result = await self.people.replace_one(
            {"_id": person_id}, {"_id": person_id, **body.model_dump(mode="json")}, upsert=True
        )
        await self.changed()
        return result.upserted_id is not None

    async def person(self, person_id: str) -> dict[str, Any] | None:
        return await self.people.find_one({"_id": person_id})

    async def person_value(self, person_id: str) -> Person | None:
        found = await self.person(person_id)
        if found is None:
            return None
        return PersonBody.model_validate(without_id(found)).to_domain(person_id)

    async def all_people(self) -> list[dict[str, Any]]:
        return [d async for d in self.people.find({}).sort("_id", 1)]

    async def delete_person(self, person_id: str) -> bool:
        """Their subscriptions go with them: nothing may route to a person who is gone."""
        deleted = await self.people.delete_one({"_id": person_id})
        await self.subscriptions.delete_many({"person_id": person_id})
        await self.report_timers.drop({"person_id": person_id})
        await self.changed()
        return deleted.deleted_count == 1

    async def add_subscription(self, body: SubscriptionBody, now: datetime | None = None) -> str:
        """A report subscription also gets its timer, due at the next run in the person's zone."""
        subscription_id = "sub_" + uuid.uuid4().hex
        await self.subscriptions.insert_one(
            {"_id": subscription_id, **body.model_dump(mode="json")}
        )
        schedule = body.report_schedule()
        person = await self.person_value(body.person_id) if schedule else None
        if schedule is not None and person is not None:
            row: dict[str, Any] = {"person_id": body.person_id, "channel": body.channel.value}
            row |= {"weekday": schedule.weekday, "hour": schedule.hour}
            run_at = next_run(schedule, person.timezone, now or datetime.now(UTC))
            await self.report_timers.schedule(subscription_id, row, run_at)
        await self.changed()
        return subscription_id

    async def all_subscriptions(self, person_id: str | None = None) -> list[dict[str, Any]]:
        query = {} if person_id is None else {"person_id": person_id}
        return [d async for d in self.subscriptions.find(query).sort("_id", 1)]

    async def delete_subscription(self, subscription_id: str) -> bool:
        deleted = await self.subscriptions.delete_one({"_id": subscription_id})
        await self.report_timers.drop({"_id": subscription_id})
        await self.changed()
        return deleted.deleted_count == 1

    async def snapshot(self) -> tuple[list[Person], list[Subscription]]:
        """Everyone and every subscription as domain values, for routing one change."""
        people = [
            PersonBody.model_validate(without_id(d)).to_domain(d["_id"])
            for d in await self.all_people()
        ]
        subscriptions = [
            SubscriptionBody.model_validate(without_id(d)).to_domain(d["_id"])
            for d in await self.all_subscriptions()
        ]
        return people, subscriptions


def without_id(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "_id"}
