"""Every subject, stream and durable consumer Slipstream uses, declared in one place.

Subjects read ``<domain>.<entity>.<past-verb>.v<n>``; the event classes carry their own subject
so a publisher cannot pick the wrong one. Streams group subjects by owner; consumers are durable
pull consumers with explicit ack and bounded, backed-off redelivery.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.events import (
    DemandChangedV1,
    DemandSurgedV1,
    FeedbackReceivedV1,
    LoopClosableV1,
    ReleaseRiskChangedV1,
    RiskChangedV1,
)

HOUR = 3600.0
DAY = 24 * HOUR
# The longest vendor retry horizon we know of, so a retry or redelivery inside it is recognised
# as a duplicate by its delivery id: GitHub.com lets an admin redeliver deliveries of the past
# 3 days (it never retries on its own; Enterprise Server allows 7); Standard Webhooks senders on
# Svix retry for about 27.5 hours; Jira Cloud for up to 30 minutes; Zendesk, Linear and Intercom
# a few times within hours. JetStream keeps every msg id of the window in memory, which is
# cheap at webhook rates. Override with INGEST_DEDUPE_WINDOW_HOURS.
RAW_DEDUPE_WINDOW = 72 * HOUR

RAW_DELIVERY_PREFIX = "ingest.raw"
DEAD_LETTER_PREFIX = "deadletter"


def raw_delivery_subject(source: str) -> str:
    """Raw, verified vendor deliveries are kept per source so replay can pick one tool."""
    return f"{RAW_DELIVERY_PREFIX}.{source}"


def dead_letter_subject(origin: str) -> str:
    """Where ``origin`` (a consumer or an ingest source) parks what it could not handle."""
    return f"{DEAD_LETTER_PREFIX}.{origin}"


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects: tuple[str, ...]
    description: str
    max_age_seconds: float = 30 * DAY
    # JetStream rejects a second publish with the same Nats-Msg-Id inside this window; it is
    # the first line of deduplication for vendor retries.
    duplicate_window_seconds: float = 2 * DAY
    # The one service whose settings may change this stream once it exists; None means the
    # defaults here, which every service applies.
    owner: str | None = None
    # Whether publishers may write it in atomic batches (``shared.batch_publishing``).
    atomic: bool = False


@dataclass(frozen=True)
class ConsumerSpec:
    durable: str
    stream: str
    filter_subject: str
    max_deliver: int = 8
    backoff_seconds: tuple[float, ...] = (1.0, 5.0, 30.0, 120.0)
    # Short, because a batch being handled is kept alive by in-progress acks
    # (shared.in_progress): this is how long a dead consumer's batch waits to be redelivered.
    ack_wait_seconds: float = 15.0


RAW_DELIVERIES = StreamSpec(
    "INGEST_RAW",
    (f"{RAW_DELIVERY_PREFIX}.>",),
    "Verified vendor deliveries, byte for byte",
    duplicate_window_seconds=RAW_DEDUPE_WINDOW,
    owner="ingest",
)
WORK = StreamSpec("WORK", ("work.>",), "Items, dependencies and releases")
FEEDBACK = StreamSpec("FEEDBACK", ("feedback.>",), "Customer feedback and demand")
RISK = StreamSpec("RISK", ("risk.>",), "Risk assessments that changed", atomic=True)
NOTIFY = StreamSpec("NOTIFY", ("notify.>",), "Notifications sent or failed", atomic=True)
DEAD_LETTERS = StreamSpec(
    "DEADLETTER", (f"{DEAD_LETTER_PREFIX}.>",), "What could not be handled, with the reason"
)
STREAMS: tuple[StreamSpec, ...] = (RAW_DELIVERIES, WORK, FEEDBACK, RISK, NOTIFY, DEAD_LETTERS)

SCHEDULER_WORK = ConsumerSpec("scheduler-work", WORK.name, "work.>")
SCHEDULER_DEMAND = ConsumerSpec("scheduler-demand", FEEDBACK.name, DemandChangedV1.subject)
FEEDBACK_RECEIVED = ConsumerSpec("feedback-received", FEEDBACK.name, FeedbackReceivedV1.subject)
# Feedback's own view of items and releases, to know when a loop can be closed.
FEEDBACK_WORK = ConsumerSpec("feedback-work", WORK.name, "work.>")
NOTIFIER_RISK = ConsumerSpec("notifier-risk", RISK.name, RiskChangedV1.subject)
NOTIFIER_RELEASE_RISK = ConsumerSpec(
    "notifier-release-risk", RISK.name, ReleaseRiskChangedV1.subject
)
NOTIFIER_DEMAND_SURGED = ConsumerSpec(
    "notifier-demand-surged", FEEDBACK.name, DemandSurgedV1.subject
)
NOTIFIER_LOOP_CLOSABLE = ConsumerSpec(
    "notifier-loop-closable", FEEDBACK.name, LoopClosableV1.subject
)
INGEST_NORMALISER = ConsumerSpec(
    "ingest-normaliser", RAW_DELIVERIES.name, f"{RAW_DELIVERY_PREFIX}.>"
)
CONSUMERS: tuple[ConsumerSpec, ...] = (
    INGEST_NORMALISER,
    SCHEDULER_WORK,
    SCHEDULER_DEMAND,
    FEEDBACK_RECEIVED,
    FEEDBACK_WORK,
    NOTIFIER_RISK,
    NOTIFIER_RELEASE_RISK,
    NOTIFIER_DEMAND_SURGED,
    NOTIFIER_LOOP_CLOSABLE,
)


@dataclass(frozen=True)
class BusUser:
    """What one service does on the bus: the subjects it publishes and the consumers it pulls.

    The deployment's NATS permissions (``deploy/nats/``) and each service's consumer metrics
    come from these, so a new subject or consumer is declared once, here.
    """

    service: str
    publishes: tuple[str, ...]
    consumers: tuple[ConsumerSpec, ...]

    def dead_letter_subjects(self) -> tuple[str, ...]:
        return tuple(dead_letter_subject(c.durable) for c in self.consumers)


BUS_USERS: tuple[BusUser, ...] = (
    # Ingest keeps raw deliveries; its normaliser publishes the canonical events they mean.
    BusUser(
        "ingest",
        (f"{RAW_DELIVERY_PREFIX}.>", "work.>", FeedbackReceivedV1.subject),
        (INGEST_NORMALISER,),
    ),
    BusUser("scheduler", ("risk.>",), (SCHEDULER_WORK, SCHEDULER_DEMAND)),
    BusUser(
        "feedback", ("feedback.demand.>", "feedback.loop.>"), (FEEDBACK_RECEIVED, FEEDBACK_WORK)
    ),
    BusUser(
        "notifier",
        ("notify.>",),
        (NOTIFIER_RISK, NOTIFIER_RELEASE_RISK, NOTIFIER_DEMAND_SURGED, NOTIFIER_LOOP_CLOSABLE),
    ),
)


def bus_user(service: str) -> BusUser | None:
    return next((user for user in BUS_USERS if user.service == service), None)
