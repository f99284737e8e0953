"""The item page's linked feedback: forwarded as feedback answers, an empty list with a note
when it cannot answer, and never an error page."""

from __future__ import annotations

import httpx
import pytest
from opentelemetry.trace import NoOpTracer

from services.cli.embedded import free_port
from services.scheduler.dashboard.feedback_proxy import FeedbackProxy

PIECE = {"feedback_id": "standard:ticket/1", "customer_id": "email:ann@acme.test"}


def answering(status: int, body: object, seen: list[str]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(status, json=body)

    return httpx.MockTransport(handle)


async def test_it_forwards_the_items_feedback_to_the_feedback_service() -> None:
    seen: list[str] = []
    proxy = FeedbackProxy(
        "http://feedback:8082/", NoOpTracer(), transport=answering(200, [PIECE], seen)
    )
    assert await proxy.on_item("github:acme/web#7") == {"feedback": [PIECE], "note": None}
    assert seen == ["http://feedback:8082/items/github%3Aacme/web%237/feedback"]


async def test_an_item_feedback_does_not_know_has_none_linked() -> None:
    proxy = FeedbackProxy("http://feedback", NoOpTracer(), transport=answering(404, {}, []))
    assert await proxy.on_item("jira:OPS-1") == {"feedback": [], "note": None}


@pytest.mark.parametrize("status", [500, 503])
async def test_a_failing_feedback_service_gives_an_empty_list_and_says_so(status: int) -> None:
    proxy = FeedbackProxy("http://feedback", NoOpTracer(), transport=answering(status, {}, []))
    answer = await proxy.on_item("jira:OPS-1")
    assert answer["feedback"] == []
    assert f"status {status}" in answer["note"]


async def test_an_unreachable_feedback_service_gives_an_empty_list_and_says_so() -> None:
    proxy = FeedbackProxy(f"http://127.0.0.1:{free_port()}", NoOpTracer())
    answer = await proxy.on_item("jira:OPS-1")
    assert answer["feedback"] == []
    assert answer["note"].startswith("Feedback is unavailable (ConnectError")


async def test_the_demand_view_forwards_feedbacks_ranking_or_says_why_it_has_none() -> None:
    seen: list[str] = []
    rows = [{"item_id": "jira:PAY-1", "customers": 3}]
    proxy = FeedbackProxy("http://feedback", NoOpTracer(), transport=answering(200, rows, seen))
    assert await proxy.demand({"limit": "200"}) == {"demand": rows, "note": None}
    assert seen == ["http://feedback/demand?limit=200"]
    failing = FeedbackProxy("http://feedback", NoOpTracer(), transport=answering(503, {}, []))
    answer = await failing.demand({})
    assert answer["demand"] == []
    assert answer["note"] == "Feedback is unavailable (status 503); customer demand is not shown."
