"""Whatever arrives, an parser answers with a verdict, never with a crash (a 500)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.ingest.domain import (
    SOURCES,
    Delivery,
    Normalised,
    SourceRules,
    Uninterpretable,
    VerificationFailed,
)
from services.ingest.handlers import NotJsonObject, parse_object
from tests.unit.ingest.support import FIXTURES, RECEIVED

pytestmark = pytest.mark.unit

KNOWN_HEADERS = [
    "x-hub-signature-256",
    "x-hub-signature",
    "x-github-event",
    "x-github-delivery",
    "x-atlassian-webhook-identifier",
    "linear-signature",
    "linear-timestamp",
    "linear-delivery",
    "x-zendesk-webhook-signature",
    "x-zendesk-webhook-signature-timestamp",
    "canny-nonce",
    "canny-signature",
    "canny-timestamp",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
]
GITHUB_EVENTS = [
    "issues",
    "milestone",
    "issue_dependencies",
    "sub_issues",
    "projects_v2_item",
    "ping",
]
SAMPLES = sorted(str(p.relative_to(FIXTURES)) for p in FIXTURES.glob("*/*.json"))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
header_values = st.text(max_size=60) | st.sampled_from(
    [
        "sha256=00",
        "sha1=00",
        "v1,AAAA",
        "1717243200",
        "1717243200000",
        "2024-06-01T12:00:00Z",
        *GITHUB_EVENTS,
    ]
)
headers = st.dictionaries(
    st.sampled_from(KNOWN_HEADERS) | st.text(max_size=20), header_values, max_size=8
)
secrets = st.lists(
    st.text(max_size=20) | st.sampled_from(["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_!!"]),
    max_size=3,
)
moments = st.datetimes(timezones=st.just(UTC))
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run_all(item: Delivery, keys: list[str], now: datetime) -> None:
    """The HTTP layer's sequence; only the two domain exceptions may escape."""
    parser = SOURCES[item.source]
    reasons: list[str] = []
    try:
        parser.verify(item, keys, now)
    except VerificationFailed as failed:
        reasons.append(failed.reason)
    result: Normalised | None = None
    try:
        payload = parse_object(item.body)
        delivery_id = parser.delivery_id(item, payload)
        result = parser.normalise(item, payload, delivery_id, SourceRules())
    except Uninterpretable as failed:
        reasons.append(failed.reason)
    except NotJsonObject as failed:
        reasons.append(str(failed))
    assert all(reasons)
    assert result is None or bool(result.events or result.ignored)


@pytest.mark.parametrize("source", sorted(SOURCES))
@FAST
@given(headers=headers, body=st.binary(max_size=200), keys=secrets, now=moments)
def test_arbitrary_bytes_get_a_verdict(
    source: str, headers: dict[str, str], body: bytes, keys: list[str], now: datetime
) -> None:
    run_all(Delivery(source, {k.lower(): v for k, v in headers.items()}, body, RECEIVED), keys, now)


@pytest.mark.parametrize("source", sorted(SOURCES))
@FAST
@given(headers=headers, payload=st.dictionaries(st.text(max_size=12), json_values, max_size=6))
def test_arbitrary_json_objects_get_a_verdict(
    source: str, headers: dict[str, str], payload: dict[str, object]
) -> None:
    body = json.dumps(payload).encode()
    run_all(
        Delivery(source, {k.lower(): v for k, v in headers.items()}, body, RECEIVED),
        ["s"],
        RECEIVED,
    )


def _mutate(value: object, path: list[int], replacement: object) -> object:
    """Replace one nested value, chosen by ``path``, so bodies stay almost real."""
    if not path or not isinstance(value, dict | list) or not value:
        return replacement
    keys = list(value) if isinstance(value, dict) else list(range(len(value)))
    key = keys[path[0] % len(keys)]
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[key] = _mutate(value[key], path[1:], replacement)
    return copy


@pytest.mark.parametrize("sample", SAMPLES)
@settings(max_examples=12, deadline=None)
@given(
    path=st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=5),
    new=json_values,
    event=st.sampled_from(GITHUB_EVENTS),
)
def test_damaged_samples_get_a_verdict(
    sample: str, path: list[int], new: object, event: str
) -> None:
    source = sample.split("/")[0]
    payload = _mutate(json.loads((FIXTURES / sample).read_bytes()), path, new)
    body = json.dumps(payload).encode()
    run_all(Delivery(source, {"x-github-event": event}, body, RECEIVED), ["s"], RECEIVED)


def test_samples_are_all_covered() -> None:
    assert {Path(s).parts[0] for s in SAMPLES} == {"canny", "github", "intercom", "jira", "linear"}
