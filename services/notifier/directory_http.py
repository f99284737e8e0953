"""People and subscriptions over HTTP: PUT/GET/DELETE /people, POST/GET/DELETE /subscriptions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Response

from services.notifier.adapters.directory import MongoDirectory, without_id
from services.notifier.redaction import person_shown
from services.notifier.schemas import PersonBody, SubscriptionBody


def directory_router(directory: MongoDirectory) -> APIRouter:
    router = APIRouter()

    @router.put("/people/{person_id}")
    async def put_person(person_id: str, body: PersonBody, response: Response) -> dict[str, Any]:
        created = await directory.put_person(person_id, body)
        response.status_code = 201 if created else 200
        return public({"_id": person_id, **body.model_dump(mode="json")})

    @router.get("/people")
    async def people() -> list[dict[str, Any]]:
        return [public(d) for d in await directory.all_people()]

    @router.get("/people/{person_id}")
    async def person(person_id: str) -> dict[str, Any]:
        found = await directory.person(person_id)
        if found is None:
            raise HTTPException(404, f"no person {person_id}")
        return public(found)

    @router.delete("/people/{person_id}", status_code=204)
    async def delete_person(person_id: str) -> None:
        if not await directory.delete_person(person_id):
            raise HTTPException(404, f"no person {person_id}")

    @router.post("/subscriptions", status_code=201)
    async def subscribe(body: SubscriptionBody) -> dict[str, Any]:
        found = await directory.person(body.person_id)
        if found is None:
            raise HTTPException(422, f"no person {body.person_id}: PUT /people/{{id}} first")
        person = PersonBody.model_validate(without_id(found)).to_domain(body.person_id)
        if body.channel not in person.channels.configured():
            raise HTTPException(422, f"{body.person_id} has no {body.channel} channel")
        subscription_id = await directory.add_subscription(body)
        return {"id": subscription_id, **body.model_dump(mode="json")}

    @router.get("/subscriptions")
    async def subscriptions(person_id: str | None = None) -> list[dict[str, Any]]:
        return [public(d) for d in await directory.all_subscriptions(person_id)]

    @router.delete("/subscriptions/{subscription_id}", status_code=204)
    async def unsubscribe(subscription_id: str) -> None:
        if not await directory.delete_subscription(subscription_id):
            raise HTTPException(404, f"no subscription {subscription_id}")

    return router


def public(document: dict[str, Any]) -> dict[str, Any]:
    """Signing secrets are write-only: a reader learns one is set, not what it is. A Slack
    incoming-webhook URL is a secret too (whoever has it can post), so only its host shows."""
    shown = {"id": document["_id"], **without_id(document)}
    if shown.get("channels"):
        shown["channels"] = person_shown(shown["channels"])
    return shown
