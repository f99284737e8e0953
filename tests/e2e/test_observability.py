"""What operations sees of a running system: /metrics on every service, and one webhook's trace
from ingest through scheduler to notifier, with messaging and database spans."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from prometheus_client.parser import text_string_to_metric_families

from services.cli.demo import scenario
from services.cli.stack import Stack
from shared.standard_webhooks import signed_headers
from tests.support.receivers import Sink, http_sink
from tests.support.stacks import post_github, running_stack
from tests.support.streams import wait_until

pytestmark = pytest.mark.e2e

GITHUB_SECRET = "e2e-observability-github"
STANDARD_SECRET = "whsec_ZTJlLW9ic2VydmFiaWxpdHktc3RhbmRhcmQ="
BLOCKED = "github:acme/web#7"


@pytest.fixture(scope="module")
def sinks() -> Iterator[tuple[Sink, Sink]]:
    with http_sink() as webhooks, http_sink() as traces:
        yield webhooks, traces


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, sinks: tuple[Sink, Sink]) -> Iterator[Stack]:
    webhooks, traces = sinks
    env = {
        "INGEST_GITHUB_SECRET": GITHUB_SECRET,
        "INGEST_STANDARD_SECRET": STANDARD_SECRET,
        "NOTIFIER_WEBHOOK_URL": f"{webhooks.url}/hooks/risk",
        "OTEL_EXPORTER_OTLP_ENDPOINT": traces.url,
        "SCHEDULER_RECHECK_INTERVAL_SECONDS": "3600",
    }
    data_dir: Path = tmp_path_factory.mktemp("observability-stack")
    with running_stack(data_dir, env) as running:
        yield running


def post_scenario(stack: Stack, which: slice, traceparent: str | None = None) -> None:
    post_github(stack, scenario(date.today())[which], GITHUB_SECRET, traceparent)


def post_standard(
    stack: Stack, kind: str, data: dict[str, Any], traceparent: str | None = None
) -> None:
    data = {**data, "source_updated_at": datetime.now(UTC).isoformat()}
    body = json.dumps({"type": kind, "data": data}).encode()
    headers = signed_headers(STANDARD_SECRET, secrets.token_hex(8), int(time.time()), body)
    headers["content-type"] = "application/json"
    if traceparent is not None:
        headers["traceparent"] = traceparent
    url = f"{stack.urls['ingest']}/webhooks/standard"
    assert httpx.post(url, content=body, headers=headers).status_code == 202


def post_feedback(stack: Stack, item_id: str) -> None:
    customer = {"customer_id": "email:ops@customer.example", "kind": "ticket"}
    feedback = {"feedback_id": f"fb-{secrets.token_hex(4)}", "item_ids": [item_id], **customer}
    post_standard(stack, "feedback.received", feedback)


Samples = dict[str, list[tuple[dict[str, str], float]]]


def scrape(url: str) -> Samples:
    response = httpx.get(f"{url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples


def value(samples: Samples, name: str, **labels: str) -> float | None:
    found = [v for have, v in samples.get(name, []) if labels.items() <= have.items()]
    return sum(found) if found else None


def notified(webhooks: Sink, item_id: str) -> bool:
    return any(json.loads(r.body)["data"]["item_id"] == item_id for r in webhooks.snapshot())


def test_every_service_exports_its_named_series_after_webhooks(
    stack: Stack, sinks: tuple[Sink, Sink]
) -> None:
    webhooks, _ = sinks
    post_scenario(stack, slice(None))
    post_feedback(stack, BLOCKED)
    wait_until(lambda: notified(webhooks, BLOCKED) or None)

    def settled() -> dict[str, Samples] | None:
        found = {name: scrape(url) for name, url in stack.urls.items()}
        demand = value(found["feedback"], "feedback_events_published_total")
        pending = [value(s, "slipstream_consumer_pending") for s in found.values()]
        if not demand or any(p is None or p > 0 for p in pending):
            return None
        return found

    found = wait_until(settled)
    ingest, scheduler = found["ingest"], found["scheduler"]
    feedback, notifier = found["feedback"], found["notifier"]
    accepted = value(ingest, "ingest_deliveries_total", source="github", outcome="accepted")
    assert (accepted or 0) >= 4
    assert value(ingest, "ingest_deliveries_total", source="standard", outcome="accepted") == 1
    for samples, consumer in (
        (ingest, "ingest-normaliser"),
        (scheduler, "scheduler-work"),
        (scheduler, "scheduler-demand"),
        (feedback, "feedback-received"),
        (notifier, "notifier-risk"),
    ):
        for gauge in ("pending", "ack_pending", "redelivered", "dead_letters"):
            assert value(samples, f"slipstream_consumer_{gauge}", consumer=consumer) == 0, gauge
    recomputed = value(
        scheduler, "slipstream_risk_reassessment_duration_seconds_count", trigger="events"
    )
    assert (recomputed or 0) >= 1
    assert (value(scheduler, "slipstream_risk_items", level="off_track") or 0) >= 1
    assert value(scheduler, "slipstream_risk_items") == 3  # three items, each one level
    demand = value(
        feedback, "feedback_events_published_total", subject="feedback.demand.changed.v1"
    )
    assert (demand or 0) >= 1
    sent = value(notifier, "notifier_notifications_total", channel="webhook", outcome="sent")
    assert (sent or 0) >= 1


def spans_of(sink: Sink, trace_id: str) -> list[tuple[str, Span]]:
    """(service, span) for every exported span of the trace."""
    found = []
    for request in sink.snapshot():
        if not request.path.endswith("/v1/traces"):
            continue
        export = ExportTraceServiceRequest()
        export.ParseFromString(request.body)
        for resource_spans in export.resource_spans:
            attributes = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    if span.trace_id.hex() == trace_id:
                        found.append((attributes.get("service.name", "?"), span))
    return found


def attributes_of(span: Span) -> dict[str, Any]:
    return {
        a.key: a.value.string_value or a.value.int_value or a.value.bool_value
        for a in span.attributes
    }


def test_one_webhook_is_one_trace_across_the_bus_with_messaging_and_mongo_spans(
    stack: Stack, sinks: tuple[Sink, Sink]
) -> None:
    webhooks, traces = sinks
    # Items first, so the one traced webhook (the blocking edge) is what puts one at risk.
    blocked, blocker = (
        f"standard:obs-{secrets.token_hex(4)}",
        f"standard:obs-{secrets.token_hex(4)}",
    )
    for item_id, days in ((blocked, 10), (blocker, 40)):
        target = (date.today() + timedelta(days=days)).isoformat()
        item = {"item_id": item_id, "title": item_id, "status": "todo", "target": target}
        post_standard(stack, "item.changed", item)

    def assessed() -> bool | None:
        found = {
            r["item_id"]
            for r in httpx.get(f"{stack.urls['scheduler']}/risk", headers=stack.auth).json()
        }
        return {blocked, blocker} <= found or None

    wait_until(assessed)
    trace_id, caller = secrets.token_hex(16), secrets.token_hex(8)
    edge = {"blocker_id": blocker, "blocked_id": blocked}
    post_standard(stack, "dependency.added", edge, traceparent=f"00-{trace_id}-{caller}-01")

    def whole_tree() -> list[tuple[str, Span]] | None:
        spans = spans_of(traces, trace_id)
        services = {service for service, _ in spans}
        posted = any(  # the notifier's call to the receiver, last hop of the tree
            owner == "notifier" and "url.full" in attributes_of(span) for owner, span in spans
        )
        # Spans are exported in batches as they end; a parent ends after its children.
        ids = {span.span_id for _, span in spans}
        orphans = [s for _, s in spans if s.parent_span_id not in ids]
        complete = [s.parent_span_id for s in orphans] == [bytes.fromhex(caller)]
        # The notifier settles a send after it, so its database span may come a batch later.
        settled = any(
            owner == "notifier" and attributes_of(span).get("db.system") == "mongodb"
            for owner, span in spans
        )
        if not {"ingest", "scheduler", "notifier"} <= services or not posted or not complete:
            return None
        return spans if settled else None

    spans = wait_until(whole_tree)
    # A tree: every span's parent is in the trace, except the ingest request's (our caller).
    roots = [s for _, s in spans if s.parent_span_id == bytes.fromhex(caller)]
    assert [(r.kind, r.name) for r in roots] == [(Span.SPAN_KIND_SERVER, "POST /webhooks/standard")]

    def messaging(service: str, kind: int, operation: str, destination: str) -> list[Span]:
        return [
            span
            for owner, span in spans
            if owner == service
            and span.kind == kind
            and attributes_of(span).get("messaging.system") == "nats"
            and attributes_of(span).get("messaging.operation.type") == operation
            and attributes_of(span).get("messaging.destination.name") == destination
        ]

    producer, consumer = Span.SPAN_KIND_PRODUCER, Span.SPAN_KIND_CONSUMER
    assert messaging("ingest", consumer, "process", "ingest.raw.standard")
    assert messaging("ingest", producer, "send", "work.dependency.added.v1")
    processed = messaging("scheduler", consumer, "process", "work.dependency.added.v1")
    assert attributes_of(processed[0])["messaging.consumer.group.name"] == "scheduler-work"
    assert messaging("scheduler", producer, "send", "risk.item.changed.v1")
    assert messaging("notifier", consumer, "process", "risk.item.changed.v1")
    mongo = {
        owner
        for owner, span in spans
        if span.kind == Span.SPAN_KIND_CLIENT and attributes_of(span).get("db.system") == "mongodb"
    }
    assert {"scheduler", "notifier"} <= mongo
    assert notified(webhooks, blocked)
