"""Our Standard Webhooks signer against the spec's published vector."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.standard_webhooks import signature, signature_matches, signed_headers

pytestmark = pytest.mark.unit

VECTORS = Path(__file__).parents[1] / "fixtures" / "signature-vectors.json"


def published_vector() -> dict[str, object]:
    vectors = json.loads(VECTORS.read_text())["vectors"]
    return next(v for v in vectors if v["provider"] == "Standard Webhooks")


def test_signature_reproduces_published_vector() -> None:
    v = published_vector()
    assert (
        signature(v["secret"], v["msg_id"], v["timestamp"], v["payload"].encode())
        == (v["expected_signature"])
    )


def test_any_listed_v1_signature_may_match() -> None:
    v = published_vector()
    header = f"v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= {v['expected_signature']}"
    assert signature_matches(
        v["secret"], v["msg_id"], v["timestamp"], v["payload"].encode(), header
    )


def test_tampered_body_does_not_match() -> None:
    v = published_vector()
    assert not signature_matches(
        v["secret"], v["msg_id"], v["timestamp"], b'{"test": 1}', v["expected_signature"]
    )


def test_signed_headers_name_id_and_timestamp() -> None:
    headers = signed_headers("whsec_c2VjcmV0", "msg_1", 1700000000, b"{}")
    assert headers["webhook-id"] == "msg_1"
    assert headers["webhook-timestamp"] == "1700000000"
    assert headers["webhook-signature"].startswith("v1,")
