"""The committed AsyncAPI and OpenAPI documents are what ``slipstream docs`` writes today."""

from __future__ import annotations

import json

import pytest

from services.cli.docs import DEFAULT_DOCS_DIR, documents
from shared.dispatch import members
from shared.events.streams import WorkEvent

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def generated() -> dict[str, str]:
    return documents()


def test_committed_documents_are_current(generated: dict[str, str]) -> None:
    stale = [
        name
        for name, content in generated.items()
        if not (DEFAULT_DOCS_DIR / name).exists()
        or (DEFAULT_DOCS_DIR / name).read_text() != content
    ]
    assert not stale, f"run `slipstream docs` and commit docs/: {stale} are stale"
    committed = {path.name for path in DEFAULT_DOCS_DIR.glob("*.json")}
    assert committed == set(generated), "docs/ holds documents no service generates"


def test_the_work_channel_documents_every_work_contract(generated: dict[str, str]) -> None:
    asyncapi = json.loads(generated["scheduler.asyncapi.json"])
    payload = asyncapi["components"]["schemas"]["on_work_changed:Message:Payload"]
    named = {ref["$ref"].rsplit("/", 1)[-1] for ref in payload["items"]["anyOf"]}
    assert named == {cls.__name__ for cls in members(WorkEvent)}
    assert "EmptyPayload" not in json.dumps(asyncapi)
