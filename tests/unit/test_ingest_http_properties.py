"""Arbitrary headers, bodies and content types at every /webhooks/<source>: never a 5xx.

Half the bodies are signed correctly, so they get past verification and reach the parser and
the normalisers; the answers must still be one of the documented 2xx/4xx, as problem+json.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import event as event_note
from hypothesis import strategies as st
from opentelemetry.metrics import NoOpMeterProvider

from services.ingest.config import IngestSettings
from services.ingest.domain import SOURCES, SourceRules
from services.ingest.http import WEBHOOKS, WebhookEndpoint
from shared.http import PROBLEM_JSON, PrefixDispatch, install_problem_handlers
from tests.support.ingest import SECRETS, InMemoryDeliveryLog, signed

pytestmark = pytest.mark.unit

VENDOR_KEYS = [
    "action", "issue", "repository", "milestone", "number", "title", "state", "updated_at",
    "webhookEvent", "issue_event_type_name", "fields", "changelog", "key", "id", "type",
    "data", "updatedFrom", "webhookTimestamp", "topic", "object", "item", "conversation",
    "detail", "time", "created_at", "labels", "blocking_issue", "blocked_issue", "version",
]  # fmt: skip
GITHUB_EVENTS = ["issues", "milestone", "issue_dependencies", "sub_issues", "ping", "star"]
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(VENDOR_KEYS) | st.text(max_size=8), inner, max_size=6)
    ),
    max_leaves=30,
)
header_text = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=40
)
header_names = st.sampled_from(
    ["x-github-event", "x-github-delivery", "x-hub-signature-256", "x-hub-signature",
     "linear-signature", "linear-timestamp", "webhook-id", "webhook-timestamp",
     "webhook-signature", "canny-nonce", "canny-timestamp", "canny-signature",
     "x-zendesk-webhook-signature", "x-zendesk-webhook-signature-timestamp"]
) | st.from_regex(r"\Ax-[a-z]{1,10}\Z")  # fmt: skip
content_types = st.sampled_from(
    ["application/json", "application/json; charset=utf-8", "application/cloudevents+json",
     "text/plain", "", "application/x-www-form-urlencoded"]
) | header_text  # fmt: skip
json_objects = st.dictionaries(st.sampled_from(VENDOR_KEYS), json_values, min_size=1, max_size=8)
bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    json_objects.map(lambda v: json.dumps(v).encode()),
)


def app_client() -> TestClient:
    secrets: dict[str, Any] = {f"{name}_secret": secret for name, secret in SECRETS.items()}
    config = IngestSettings(max_body_bytes=2000, **secrets)
    app = FastAPI()
    install_problem_handlers(app)
    meter = NoOpMeterProvider().get_meter("test")
    log = InMemoryDeliveryLog()
    endpoint = WebhookEndpoint(config, SOURCES, SourceRules(), lambda: log, meter)
    app.add_middleware(PrefixDispatch, prefix=WEBHOOKS, endpoint=endpoint)
    return TestClient(app, raise_server_exceptions=False)


CLIENT = app_client()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    source=st.sampled_from(sorted(SOURCES)),
    body=bodies,
    extra=st.dictionaries(header_names, header_text, max_size=5),
    content_type=content_types,
    sign=st.booleans(),
    event=st.sampled_from(GITHUB_EVENTS),
    delivery=header_text,
)
def test_no_input_gets_a_server_error(
    source: str,
    body: bytes,
    extra: dict[str, str],
    content_type: str,
    sign: bool,
    event: str,
    delivery: str,
) -> None:
    headers = {**extra, "content-type": content_type, "x-github-event": event}
    if sign:
        good = signed(source, body, datetime.now(UTC), delivery.strip() or "d")
        headers |= {
            **good,
            "content-type": content_type if "json" in content_type else good["content-type"],
        }
    raw_headers = {name: value.encode("latin-1") for name, value in headers.items()}
    response = CLIENT.post(f"/webhooks/{source}", content=body, headers=raw_headers)
    event_note(f"{source} {response.status_code}")
    # 429: every example comes from one test client, so its bad signatures add up.
    assert response.status_code in {202, 400, 401, 413, 415, 422, 429}, response.text
    if response.status_code == 202:
        assert response.json()["status"] in {"accepted", "duplicate", "ignored"}
    else:
        assert response.headers["content-type"] == PROBLEM_JSON
