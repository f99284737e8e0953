"""Feedback's API on an in-memory store: 404 problem+json for unknown ids, 422 for bad bodies,
manual links that move demand and announce it."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry import context as otel_context

from services.feedback.config import FeedbackSettings
from services.feedback.domain.organisation_rows import BadOrganisationRow
from services.feedback.domain.weighing import DemandRules
from services.feedback.handlers import Weighing, project_feedback
from services.feedback.http import feedback_router
from services.feedback.main import create_app
from services.feedback.views import FeedbackViews
from shared.events import DemandChangedV1, Event, FeedbackReceivedV1, ItemChangedV1
from shared.http import install_problem_handlers
from tests.support.fakes import InMemoryFeedbackStore, InMemoryWorkProjection

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 25, tzinfo=UTC)


class Published:
    def __init__(self) -> None:
        self.events: list[Event] = []

    async def publish(self, event: Event, context: otel_context.Context | None = None) -> None:
        self.events.append(event)

    async def publish_raw(self, subject: str, body: bytes, headers: Mapping[str, str]) -> None:
        raise AssertionError("feedback publishes events only")


def said(fid: str, email: str, items: tuple[str, ...] = ("jira:PAY-1",)) -> FeedbackReceivedV1:
    return FeedbackReceivedV1(
        event_id=f"e-{fid}",
        occurred_at=NOW,
        source="zendesk",
        feedback_id=fid,
        customer_id=f"email:{email}",
        item_ids=items,
        source_updated_at=NOW,
        kind="ticket",
    )


@pytest.fixture
def setup() -> tuple[TestClient, Weighing, Published]:
    store = InMemoryFeedbackStore()
    weighing = Weighing(store, DemandRules(public_domains=frozenset({"gmail.com"})), {})
    batch = [said("z1", "ann@acme.test"), said("z2", "bo@gmail.com"), said("z3", "cy@x.test", ())]
    asyncio.run(project_feedback(batch, store, NOW, weighing))
    published = Published()
    work = InMemoryWorkProjection()
    named = ItemChangedV1(event_id="i1", occurred_at=NOW, source="jira", item_id="jira:PAY-1",
                          title="Pay by link", status="todo", source_updated_at=NOW)  # fmt: skip
    asyncio.run(work.apply_items([named]))
    app = FastAPI()
    install_problem_handlers(app)
    views = FeedbackViews(weighing, work)
    app.include_router(feedback_router(views, weighing, published, lambda: NOW))
    return TestClient(app, raise_server_exceptions=False), weighing, published


def test_demand_ranks_items_and_an_items_feedback_says_who_and_how(setup: tuple) -> None:
    client, _, _ = setup
    assert client.get("/demand").json() == [
        {"item_id": "jira:PAY-1", "title": "Pay by link", "customers": 2, "weight": 2.0,
         "organisations": 1, "arr_waiting": None,
         "trend": {"window_hours": 24.0, "per_window": [0, 0, 0, 0, 0, 0, 2], "recent": 2,
                   "baseline": 0.0, "surging": False}}
    ]  # fmt: skip
    pieces = client.get("/items/jira:PAY-1/feedback").json()
    assert [(p["customer_id"], p["organisation_id"], p["linked_by"]) for p in pieces] == [
        ("email:ann@acme.test", "domain:acme.test", "explicit"),
        ("email:bo@gmail.com", None, "explicit"),
    ]


def test_unknown_ids_are_404_problems(setup: tuple) -> None:
    client, _, _ = setup
    for path in ("/items/jira:NOPE/feedback", "/customers/email:no@x.test", "/organisations/o"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"
    missing = client.post("/links", json={"feedback_id": "nope", "item_id": "jira:PAY-1"})
    assert missing.status_code == 404


def test_bad_bodies_are_422(setup: tuple) -> None:
    client, _, _ = setup
    assert client.post("/links", json={"feedback_id": "z1"}).status_code == 422
    assert client.put("/organisations/org:acme", json={"name": "A", "arr": -1}).status_code == 422
    assert client.delete("/links", params={"feedback_id": "z1"}).status_code == 422
    assert client.get("/demand", params={"limit": 0}).status_code == 422


def test_link_and_unlink_move_demand_and_announce_it(setup: tuple) -> None:
    client, weighing, published = setup
    assert client.post("/links", json={"feedback_id": "z3", "item_id": "jira:PAY-1"}).is_success
    pieces = client.get("/items/jira:PAY-1/feedback").json()
    assert [p["linked_by"] for p in pieces if p["feedback_id"] == "z3"] == ["manual"]
    assert client.delete("/links", params={"feedback_id": "z1", "item_id": "jira:PAY-1"}).is_success
    assert [(e.customers, e.organisations) for e in published.events] == [(3, 2), (2, 1)]
    assert all(isinstance(e, DemandChangedV1) for e in published.events)
    # A later delivery of z1 still naming the item does not undo the unlink.
    later = said("z1", "ann@acme.test").model_copy(update={"event_id": "e-z1-again"})
    asyncio.run(project_feedback([later], weighing.store, NOW, weighing))
    assert client.get("/demand").json()[0]["customers"] == 2


def test_an_organisation_edit_reweighs_what_it_asked_for(setup: tuple) -> None:
    client, _, published = setup
    body = {"name": "Acme", "domains": ["ACME.test"], "tier": "gold", "arr": 10_000,
            "owner": "kim@vendor.test"}  # fmt: skip
    assert client.put("/organisations/org:acme", json=body).json() == {
        "organisation_id": "org:acme", "name": "Acme", "domains": ["acme.test"],
        "tier": "gold", "arr": 10_000.0, "owner": "kim@vendor.test",
    }  # fmt: skip
    assert [(e.item_id, e.arr_waiting) for e in published.events] == [("jira:PAY-1", 10_000.0)]
    assert client.get("/demand").json()[0]["arr_waiting"] == 10_000.0
    assert client.get("/customers/email:ann@acme.test").json()["organisation_id"] == "org:acme"
    # Moving the domain away re-weighs the item the organisation used to count on.
    client.put("/organisations/org:acme", json={**body, "domains": ["acme.example"]})
    assert published.events[-1].arr_waiting is None


def test_a_bad_organisations_file_stops_start_up_naming_the_row(tmp_path: Path) -> None:
    bad = tmp_path / "orgs.csv"
    bad.write_text("name,arr\nAcme,1\nGlobex,many\n")
    with pytest.raises(BadOrganisationRow, match="row 3"):
        create_app(FeedbackSettings(organisations=bad))


def test_a_tag_rule_without_items_stops_start_up() -> None:
    with pytest.raises(ValueError, match="tag rule 'export'"):
        create_app(FeedbackSettings(tag_rules={"export": [" "]}))
