"""Every link says how it was made: explicit, text, tag rule or manual."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.feedback.domain.tag_rules import TagRules, how_linked
from services.feedback.handlers import Weighing, project_feedback
from services.feedback.views import FeedbackViews
from shared.events import FeedbackReceivedV1
from tests.support.fakes import InMemoryFeedbackStore, InMemoryWorkProjection

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 25, tzinfo=UTC)
RULES = TagRules.from_config({"Export": ["jira:PAY-12"], "sso": "linear:ENG-7"})


def ticket(fid: str, tags: tuple[str, ...], items: tuple[str, ...] = ()) -> FeedbackReceivedV1:
    return FeedbackReceivedV1(
        event_id=f"e-{fid}", occurred_at=NOW, source="zendesk", kind="ticket",
        feedback_id=fid, customer_id="email:ann@acme.test", tags=tags, item_ids=items,
        linked_by={i: "text" for i in items}, source_updated_at=NOW,
    )  # fmt: skip


def test_a_tag_rule_adds_its_items_after_the_tools_and_marks_them() -> None:
    linked = RULES.linked(ticket("z1", ("export", "SSO"), ("jira:PAY-12", "jira:WEB-1")))
    assert linked.item_ids == ("jira:PAY-12", "jira:WEB-1", "linear:ENG-7")
    assert linked.linked_by == {
        "jira:PAY-12": "text", "jira:WEB-1": "text", "linear:ENG-7": "tag_rule"
    }  # fmt: skip
    assert RULES.linked(ticket("z2", ("billing",))) == ticket("z2", ("billing",))


def test_an_empty_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        TagRules.from_config({"export": [""]})


def test_manual_wins_and_an_item_without_provenance_was_named_by_the_tool() -> None:
    piece = ticket("z1", (), ("jira:PAY-12",))
    assert how_linked(piece, "jira:PAY-12", True) == "manual"
    assert how_linked(piece, "jira:PAY-12", None) == "text"
    assert how_linked(piece, "jira:OTHER-1", None) == "explicit"


async def test_an_items_feedback_shows_a_tag_rule_link_and_its_demand_counts() -> None:
    store = InMemoryFeedbackStore()
    weighing = Weighing(store, tags=RULES)
    changes = await project_feedback([ticket("z1", ("export",))], store, NOW, weighing)
    assert [c.item_id for c in changes] == ["jira:PAY-12"]
    pieces = await FeedbackViews(weighing, InMemoryWorkProjection()).on_item("jira:PAY-12")
    assert pieces is not None
    assert [p["linked_by"] for p in pieces] == ["tag_rule"]
