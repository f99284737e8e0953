"""The notification log: attempts counted per notification, "sent" read from the latest."""

from __future__ import annotations

import pytest

from services.notifier.adapters.mongo import MongoNotificationLog
from services.notifier.domain import Notification
from services.notifier.ports import NotificationLog
from tests.contract.conftest import Database
from tests.support.fakes import InMemoryNotificationLog

pytestmark = pytest.mark.contract


@pytest.fixture
def log(database: Database | None) -> NotificationLog:
    if database is None:
        return InMemoryNotificationLog()
    return MongoNotificationLog(database["notifications"])


def notification(notification_id: str) -> Notification:
    return Notification(
        notification_id, "cause-1", "https://hooks.example/x", "risk.changed", b"{}"
    )


async def test_each_attempt_is_counted_per_notification(log: NotificationLog) -> None:
    assert await log.record(notification("n1"), "retrying", None, error="timeout") == 1
    assert await log.record(notification("n1"), "retrying", 503) == 2
    assert await log.record(notification("n2"), "sent", 200) == 1
    assert await log.record(notification("n1"), "sent", 200) == 3


async def test_nothing_is_sent_until_an_attempt_succeeds(log: NotificationLog) -> None:
    assert not await log.was_sent("n1")
    await log.record(notification("n1"), "retrying", 503)
    assert not await log.was_sent("n1")
    await log.record(notification("n1"), "sent", 200)
    assert await log.was_sent("n1")
    assert not await log.was_sent("n2")


async def test_sent_is_read_from_the_latest_attempt(log: NotificationLog) -> None:
    await log.record(notification("n1"), "sent", 200)
    await log.record(notification("n1"), "failed", 410)
    assert not await log.was_sent("n1")
