"""The notifier's decisions without I/O: who hears, on which channel, when, and how retries go.

Modules are named by idea: ``people``, ``routing``, ``digest``, ``throttle``, ``quiet_hours``,
``retry`` and ``webhook_message`` (the signed body of a Standard Webhooks delivery).
"""

from services.notifier.domain.webhook_message import (
    Notification,
    is_retryable,
    is_success,
    notification_for,
    unix_seconds,
)

__all__ = ["Notification", "is_retryable", "is_success", "notification_for", "unix_seconds"]
