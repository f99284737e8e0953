"""Events about customer feedback and the demand it creates on work items."""

from __future__ import annotations

from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

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
    # The tool's tags or labels (Zendesk tags), which feedback's tag rules can link to items.
    tags: tuple[str, ...] = ()
    # How each of ``item_ids`` was found: "explicit" (the tool or body named it) or "text"
    # (a reference in the text). Absent for an item means explicit.
    linked_by: dict[str, str] = Field(default_factory=dict)


class DemandChangedV1(Event):
    """The set of customers waiting on a work item changed."""

    subject: ClassVar[str] = "feedback.demand.changed.v1"

    item_id: str
    customers: int
    weight: float
    # Added later; optional so events already on the stream still decode.
    organisations: int | None = None
    arr_waiting: float | None = None


class DemandSurgedV1(Event):
    """Feedback on an item arrives far faster than its own baseline (method: feedback's domain)."""

    subject: ClassVar[str] = "feedback.demand.surged.v1"

    item_id: str
    # Pieces of feedback inside the recent window, and the item's baseline for a window as long.
    recent: int
    baseline: float
    window_seconds: float
    customers: int
    organisations: int
    weight: float
    # Added later, optional: the item's title as feedback last heard it from its tracker.
    title: str | None = None


class WaitingCustomer(BaseModel):
    """A customer who asked for an item, with where they asked, so someone can answer them."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    customer_id: str
    name: str | None = None
    email: str | None = None
    organisation_id: str | None = None
    organisation_name: str | None = None
    # Whoever owns the account (an email or a tool identity such as ``jira:5b10…``), from the
    # organisations file; the notifier routes the closable loop to them.
    account_owner: str | None = None
    feedback_ids: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()


class LoopClosableV1(Event):
    """Work that customers waited on is done or released: time to tell them."""

    subject: ClassVar[str] = "feedback.loop.closable.v1"

    item_id: str
    # "done" when the item itself finished, "released" when its release shipped.
    because: str
    release_id: str | None = None
    title: str | None = None
    customers: tuple[WaitingCustomer, ...] = ()
