"""Use cases a person drives through the API: link and unlink feedback, edit organisations."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from services.feedback.domain.organisations import Organisation
from services.feedback.handlers import Announce, Weighing
from shared.events import Event
from shared.publishing import EventPublisher
from shared.telemetry import log_fields

logger = logging.getLogger(__name__)


class UnknownFeedback(LookupError):
    pass


def announcer(publisher: EventPublisher) -> Announce:
    async def announce(changes: Sequence[Event]) -> None:
        for change in changes:
            await publisher.publish(change)

    return announce


async def decide_link(
    weighing: Weighing,
    publisher: EventPublisher,
    decision: tuple[str, str, bool],
    now: datetime,
) -> list[Event]:
    """Record a manual link (True) or unlink (False) and announce the item's new demand.

    The decision is stored apart from the feedback, so a later delivery of the same ticket
    that still names the item cannot undo an unlink.
    """
    feedback_id, item_id, linked = decision
    if await weighing.store.one_feedback(feedback_id) is None:
        raise UnknownFeedback(feedback_id)
    await weighing.store.set_link(feedback_id, item_id, linked, now)
    changes = await weighing.recompute([item_id], now, announcer(publisher))
    logger.info(
        "feedback link decided",
        extra=log_fields(
            feedback_id=feedback_id, item_id=item_id, linked=linked, demand_changed=bool(changes)
        ),
    )
    return changes


async def put_organisation(
    weighing: Weighing, publisher: EventPublisher, organisation: Organisation, now: datetime
) -> list[Event]:
    """Store the edit (it wins over the file) and re-weigh what this organisation asked for.

    Items are found by the organisation's domains and name before and after the edit, so a
    domain moved away re-weighs the items it used to count on as well.
    """
    before = (await weighing.directory()).organisations.get(organisation.organisation_id)
    await weighing.store.save_organisation(organisation)
    domains = set(organisation.domains) | set(before.domains if before else ())
    names = {n for n in (organisation.name, before.name if before else None) if n}
    items = await weighing.store.items_asked_by(domains, names)
    changes = await weighing.recompute(items, now, announcer(publisher))
    logger.info(
        "organisation edited",
        extra=log_fields(
            organisation_id=organisation.organisation_id, items=len(items), changes=len(changes)
        ),
    )
    return changes
