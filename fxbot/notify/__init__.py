"""Notifier and per-chat outbox: persisted, deduplicated, coalesced, paced delivery of notifications."""

from fxbot.notify.errors import DeliveryError, DeliveryForbidden, DeliveryRetryAfter
from fxbot.notify.notification import Notification, Severity
from fxbot.notify.notifier import Notifier
from fxbot.notify.outbox import Outbox, OutboxItem, OutboxState
from fxbot.notify.pacing import Pacer, PacingLimits
from fxbot.notify.preferences import EVENT_TYPES, NotificationPreferences
from fxbot.notify.targets import ChatAdapterTarget, DeliveryTarget

__all__ = [
    "EVENT_TYPES",
    "ChatAdapterTarget",
    "DeliveryError",
    "DeliveryForbidden",
    "DeliveryRetryAfter",
    "DeliveryTarget",
    "Notification",
    "NotificationPreferences",
    "Notifier",
    "Outbox",
    "OutboxItem",
    "OutboxState",
    "Pacer",
    "PacingLimits",
    "Severity",
]
