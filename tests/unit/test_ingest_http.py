"""Ingest's HTTP contract: every kind of bad input has its own answer, never a 500."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry.metrics import NoOpMeterProvider

from services.ingest.config import IngestSettings
from services.ingest.domain import SOURCES, SourceRules
from services.ingest.http import WEBHOOKS, WebhookEndpoint
from shared.http import PrefixDispatch, install_problem_handlers
from tests.support.ingest import InMemoryDeliveryLog

pytestmark = pytest.mark.unit

SECRET = "unit-secret"
ISSUE = {
    "action": "opened",
    "issue": {
        "number": 1,
        "title": "T",
        "state": "open",
        "updated_at": "2026-11-01T00:00:00Z",
        "html_url": "https://github.com/acme/api/issues/1",
        "labels": [],
    },
    "repository": {"full_name": "acme/api"},
}


def client_for(log: InMemoryDeliveryLog, max_body: int = 1_000_000) -> TestClient:
    settings = IngestSettings(github_secret=SECRET, max_body_bytes=max_body)
    app = FastAPI()
    install_problem_handlers(app)
    meter = NoOpMeterProvider().get_meter("test")
    endpoint = WebhookEndpoint(settings, SOURCES, SourceRules(), lambda: log, meter)
    app.add_middleware(PrefixDispatch, prefix=WEBHOOKS, endpoint=endpoint)
    return TestClient(app, raise_server_exceptions=False)


def signed(body: bytes, event: str = "issues", delivery: str = "d-1") -> dict[str, str]:
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {
        "content-type": "application/json",
        "x-github-event": event,
        "x-github-delivery": delivery,
        "x-hub-signature-256": f"sha256={digest}",
    }


def post(
    client: TestClient, body: bytes, headers: dict[str, str]
) -> tuple[int, dict[str, object], str]:
    response = client.post("/webhooks/github", content=body, headers=headers)
    return response.status_code, response.json(), response.headers["content-type"]


def test_signed_issue_is_accepted_with_its_events() -> None:
    log = InMemoryDeliveryLog()
    status, body, _ = post(
        client_for(log), json.dumps(ISSUE).encode(), signed(json.dumps(ISSUE).encode())
    )
    assert (status, body["status"], body["events"]) == (202, "accepted", 1)
    assert list(log.kept) == ["github:d-1"]


def test_repeated_delivery_is_202_duplicate_and_kept_once() -> None:
    log = InMemoryDeliveryLog()
    client, raw = client_for(log), json.dumps(ISSUE).encode()
    post(client, raw, signed(raw))
    status, body, _ = post(client, raw, signed(raw))
    assert (status, body["status"], body["events"]) == (202, "duplicate", 0)
    assert list(log.kept) == ["github:d-1"]


def test_wrong_signature_is_401_and_nothing_is_kept() -> None:
    log = InMemoryDeliveryLog()
    raw = json.dumps(ISSUE).encode()
    status, _, content_type = post(client_for(log), raw, signed(raw + b" "))
    assert (status, content_type) == (401, "application/problem+json")
    assert log.kept == {}


def test_missing_signature_is_401() -> None:
    raw = json.dumps(ISSUE).encode()
    headers = signed(raw)
    del headers["x-hub-signature-256"]
    assert post(client_for(InMemoryDeliveryLog()), raw, headers)[0] == 401


def test_body_that_is_not_json_is_400() -> None:
    assert post(client_for(InMemoryDeliveryLog()), b"{nope", signed(b"{nope"))[0] == 400


def test_json_that_is_not_an_object_is_400() -> None:
    assert post(client_for(InMemoryDeliveryLog()), b"[1]", signed(b"[1]"))[0] == 400


def test_form_encoded_delivery_is_415() -> None:
    headers = {**signed(b"payload=x"), "content-type": "application/x-www-form-urlencoded"}
    assert post(client_for(InMemoryDeliveryLog()), b"payload=x", headers)[0] == 415


def test_oversized_body_is_413() -> None:
    raw = json.dumps({**ISSUE, "padding": "x" * 2000}).encode()
    assert post(client_for(InMemoryDeliveryLog(), max_body=1000), raw, signed(raw))[0] == 413


def test_unhandled_event_type_is_202_ignored_and_kept() -> None:
    log = InMemoryDeliveryLog()
    raw = b'{"action": "created", "starred_at": null}'
    status, body, _ = post(client_for(log), raw, signed(raw, event="star"))
    assert (status, body["status"]) == (202, "ignored")
    assert list(log.kept) == ["github:d-1"]


def test_uninterpretable_issue_is_422_and_kept_for_the_normaliser_to_dead_letter() -> None:
    log = InMemoryDeliveryLog()
    raw = b'{"action": "opened", "issue": {"title": "no number"}, "repository": {}}'
    status, body, content_type = post(client_for(log), raw, signed(raw))
    assert (status, content_type) == (422, "application/problem+json")
    assert "kept" in str(body["detail"])
    assert list(log.kept) == ["github:d-1"]


def test_deeply_nested_json_is_400_not_a_crash() -> None:
    raw = b"[" * 100_000 + b"]" * 100_000
    assert post(client_for(InMemoryDeliveryLog()), raw, signed(raw))[0] == 400


def test_unacknowledged_publish_is_503_with_retry_after() -> None:
    raw = json.dumps(ISSUE).encode()
    response = client_for(InMemoryDeliveryLog(unavailable=True)).post(
        "/webhooks/github", content=raw, headers=signed(raw)
    )
    assert response.status_code == 503
    assert int(response.headers["retry-after"]) > 0


class BrokenDeliveryLog(InMemoryDeliveryLog):
    async def keep(self, delivery: object, delivery_id: str) -> bool:
        raise RuntimeError("a bug, not an outage")


def test_a_bug_on_the_bare_endpoint_is_a_503_problem_not_a_500() -> None:
    settings = IngestSettings(github_secret=SECRET)
    meter = NoOpMeterProvider().get_meter("test")
    log = BrokenDeliveryLog()
    endpoint = WebhookEndpoint(settings, SOURCES, SourceRules(), lambda: log, meter)
    raw = json.dumps(ISSUE).encode()
    response = TestClient(endpoint).post("/webhooks/github", content=raw, headers=signed(raw))
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) > 0


def test_unknown_source_is_404() -> None:
    response = client_for(InMemoryDeliveryLog()).post(
        "/webhooks/nope", content=b"{}", headers={"content-type": "application/json"}
    )
    assert response.status_code == 404


def test_other_methods_are_405_problems() -> None:
    response = client_for(InMemoryDeliveryLog()).get("/webhooks/github")
    assert (response.status_code, response.headers["allow"]) == (405, "POST")
    assert response.headers["content-type"] == "application/problem+json"


def test_deeper_paths_are_not_webhooks() -> None:
    response = client_for(InMemoryDeliveryLog()).post("/webhooks/github/x", content=b"{}")
    assert response.status_code == 404


def test_body_arriving_in_chunks_is_verified_whole() -> None:
    log = InMemoryDeliveryLog()
    raw = json.dumps(ISSUE).encode()
    chunks = (raw[i : i + 100] for i in range(0, len(raw), 100))
    response = client_for(log).post("/webhooks/github", content=chunks, headers=signed(raw))
    assert response.status_code == 202
    assert log.kept["github:d-1"].body == raw
