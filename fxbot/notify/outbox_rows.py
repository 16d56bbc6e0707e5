"""Outbox rows: how a notification or a compact price alert is written, and the stored item as it reads back."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import orjson

from fxbot.chat.types import ChatKind, ChatRef
from fxbot.notify.notification import Notification, NotificationAction, Severity
from fxbot.storage.timestamps import from_db, to_db

logger = logging.getLogger(__name__)

ChatKindRules = Mapping[str, Callable[[str], ChatKind]]
"""Per platform, the rule its plugin declares (fxbot.plugins.PlatformFacts.chat_kind): local chat id -> kind."""


def infer_chat_kind(chat_id: str, rules: ChatKindRules | None = None) -> ChatKind:
    """A chat's kind from its id when the caller did not say (groups are paced harder), by the rule the
    platform's plugin declares; a platform without one is treated as a group, the conservative choice."""
    platform, _, local = chat_id.partition(":")
    rule = (rules or {}).get(platform)
    return ChatKind.GROUP if rule is None else rule(local)


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One stored notification with its routing (platform, thread, chat kind) and delivery attempts."""

    id: int
    notification: Notification
    platform: str
    chat_kind: ChatKind
    attempts: int
    enqueued_at: datetime

    @property
    def chat_id(self) -> str:
        return self.notification.chat_id

    @property
    def thread_id(self) -> str | None:
        return self.notification.thread_id

    @property
    def is_critical(self) -> bool:
        return self.notification.is_critical

    def chat_ref(self) -> ChatRef:
        """The chat to hand to an adapter's send()."""
        return ChatRef(
            id=self.chat_id, kind=self.chat_kind, platform=self.platform, thread_id=self.thread_id
        )


ITEM_COLUMNS = (
    "id, dedupe_key, chat_id, platform, thread_id, chat_kind, severity, kind, title, lines_json,"
    " silent, created_at, enqueued_at, attempts, image, image_name, actions_json, price_alert_json"
)

INSERT_COLUMNS = (
    "dedupe_key, chat_id, platform, thread_id, chat_kind, severity, kind, title, lines_json, silent, created_at,"
    " image, image_name, actions_json, price_alert_json, enqueued_at"
)
"""The columns of an OutboxRow, then enqueued_at (the enqueue's own time, added to every row of a call)."""

OutboxRow = tuple[str, str, str, str | None, str, int, str, str, str, int, str, bytes | None, str | None,
                  str | None, str | None]
"""A row to insert, the INSERT_COLUMNS but enqueued_at (made by `notification_row` or `price_alert_row`)."""

PRICE_ALERT_KIND = "price_alert"
COMPACT_TITLE = ""
COMPACT_LINES = "[]"
"""The title and lines stored with a price alert's compact form (rendered from it when read)."""


def notification_row(n: Notification, chat_kind: ChatKind) -> OutboxRow:
    """The row storing a notification as it is written (title, lines, buttons)."""
    return (n.dedupe_key, n.chat_id, n.platform, n.thread_id, chat_kind.value, int(n.severity), n.kind, n.title,
            orjson.dumps(n.lines).decode(), 1 if n.silent else 0, to_db(n.created_at), n.image, n.image_name,
            actions_json(n.actions), None)


def price_alert_row(dedupe_key: str, chat_id: str, platform: str, thread_id: str | None, chat_kind: str,
                    created_at: str, payload: str) -> OutboxRow:
    """The row storing a price alert's compact form (fxbot.alerts.price_alert_payload): its title, lines and
    buttons are rendered when the row is read (`item_from_row`). `created_at` as stored (to_db)."""
    return (dedupe_key, chat_id, platform, thread_id, chat_kind, 0, PRICE_ALERT_KIND, COMPACT_TITLE, COMPACT_LINES,
            0, created_at, None, None, None, payload)


def item_from_row(row: Any) -> OutboxItem:
    chat_id = str(row["chat_id"])
    created_at = from_db(str(row["created_at"]))
    compact = row["price_alert_json"]
    if compact is not None:
        title, lines, actions = _rendered(str(compact), chat_id, created_at)
    else:
        title = str(row["title"])
        lines = tuple(str(line) for line in json.loads(row["lines_json"]))
        actions = _actions(row["actions_json"])
    notification = Notification(
        chat_id=chat_id,
        severity=Severity(int(row["severity"])),
        title=title,
        lines=lines,
        dedupe_key=str(row["dedupe_key"]),
        kind=str(row["kind"]),
        silent=bool(row["silent"]),
        created_at=created_at,
        thread_id=None if row["thread_id"] is None else str(row["thread_id"]),
        image=None if row["image"] is None else bytes(row["image"]),
        image_name=None if row["image_name"] is None else str(row["image_name"]),
        actions=actions,
    )
    stored_kind = row["chat_kind"]
    return OutboxItem(
        id=int(row["id"]),
        notification=notification,
        platform=str(row["platform"]),
        chat_kind=ChatKind(stored_kind) if stored_kind else infer_chat_kind(notification.chat_id),
        attempts=int(row["attempts"]),
        enqueued_at=from_db(str(row["enqueued_at"])),
    )


def _rendered(payload: str, chat_id: str, at: datetime) -> tuple[str, tuple[str, ...], tuple[NotificationAction, ...]]:
    """A compact price alert's title, lines and buttons; one that cannot be read still goes out, saying so."""
    from fxbot.alerts.price_alert_payload import render_price_alert  # alerts imports notify: not at module load

    try:
        return render_price_alert(payload, chat_id, at)
    except ValueError:
        logger.warning("outbox: a price alert's stored form could not be read; it is sent as such")
        return "Price alert", ("Its message could not be rendered from what was stored.",), ()


def actions_json(actions: tuple[NotificationAction, ...]) -> str | None:
    if not actions:
        return None
    return orjson.dumps([{"label": a.label, "command": a.command, "once": a.once, "style": a.style}
                         for a in actions]).decode()


def _actions(stored: object) -> tuple[NotificationAction, ...]:
    """The buttons stored with an item; unreadable ones are dropped (the message still goes out)."""
    if not stored:
        return ()
    try:
        return tuple(NotificationAction(str(a["label"]), str(a["command"]), bool(a["once"]), _style(a["style"]))
                     for a in json.loads(str(stored)))
    except (ValueError, KeyError, TypeError):
        logger.warning("outbox: an item's stored buttons could not be read; it is sent without them")
        return ()


def _style(value: object) -> Literal["primary", "danger", "secondary"]:
    if value == "primary":
        return "primary"
    return "danger" if value == "danger" else "secondary"
