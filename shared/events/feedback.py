"""Events about customer feedback and the demand it creates on work items."""

from __future__ import annotations

from typing import ClassVar

from pydantic import AwareDatetime, Field

from shared.events.base import Event


class FeedbackReceivedV1(Event):
    """A customer said something in a feedback tool (ticket, conversation, post, vote)."""

    subject: ClassVar[str] = "feedback.item.received.v1"

    feedback_id: str
    customer_id: str
    source_updated_at: AwareDatetime
    customer_name: str | None = None
    kind: str = "comment"
    text: str | None = None
    url: str | None = None
    item_ids: tuple[str, ...] = ()
    retracted: bool = False
    # Optional: the tool's own organisation/company for the customer, and how much this
    # piece matters (0-3, as Productboard's insight importance). Absent means "derive it".
    organisation: str | None = None
    importance: int | None = Field(None, ge=0, le=3)
    # The tool's own priority label (Zendesk: low, normal, high, urgent), mapped to importance.
    priority: str | None = None


class DemandChangedV1(Event):
    """The set of customers waiting on a work item changed."""

    subject: ClassVar[str] = "feedback.demand.changed.v1"

    item_id: str
    customers: int
    weight: float
    # Added later; optional so events already on the stream still decode.
    organisations: int | None = None
    arr_waiting: float | None = None
