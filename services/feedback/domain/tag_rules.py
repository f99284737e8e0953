"""Tag rules: a tool's tag or label that says which work item a piece of feedback is about.

Configured as ``FEEDBACK_TAG_RULES``, a JSON object from tag to item ids, e.g.
``{"export": ["jira:PAY-12"], "sso": ["linear:ENG-7", "jira:AUTH-3"]}``; tags compare
case-insensitively. A rule adds items after those the tool named and those the text named
(which keep their provenance), and marks the ones it alone found ``tag_rule``. Rules apply
as feedback is projected, so a changed rule reaches past feedback on its next delivery or
on ``slipstream rebuild feedback``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.events import FeedbackReceivedV1

EXPLICIT, TEXT, TAG_RULE, MANUAL = "explicit", "text", "tag_rule", "manual"


@dataclass(frozen=True)
class TagRules:
    by_tag: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_config(cls, raw: Mapping[str, list[str] | str]) -> TagRules:
        rules: dict[str, tuple[str, ...]] = {}
        for tag, items in raw.items():
            listed = [items] if isinstance(items, str) else list(items)
            if not tag.strip() or not all(i.strip() for i in listed):
                raise ValueError(f"tag rule {tag!r}: tags and item ids must not be empty")
            rules[tag.strip().lower()] = tuple(i.strip() for i in listed)
        return cls(rules)

    def linked(self, feedback: FeedbackReceivedV1) -> FeedbackReceivedV1:
        """The feedback with the items its tags name added, each saying how it was found."""
        added = [i for tag in feedback.tags for i in self.by_tag.get(tag.lower(), ())]
        fresh = [i for i in dict.fromkeys(added) if i not in feedback.item_ids]
        if not fresh:
            return feedback
        origins = {**feedback.linked_by, **dict.fromkeys(fresh, TAG_RULE)}
        return feedback.model_copy(
            update={"item_ids": (*feedback.item_ids, *fresh), "linked_by": origins}
        )


def how_linked(feedback: FeedbackReceivedV1, item_id: str, manual: bool | None) -> str:
    """``manual`` when a person linked it, else what the tool, text or a tag rule said."""
    if manual:
        return MANUAL
    return feedback.linked_by.get(item_id, EXPLICIT)
