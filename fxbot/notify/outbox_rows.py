"""How an outbox row reads back: the stored item with its routing, the column list, and the row conversion."""

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
from fxbot.storage.timestamps import from_db

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
    " silent, created_at, enqueued_at, attempts, image, image_name, actions_json"
)


def item_from_row(row: Any) -> OutboxItem:
    notification = Notification(
        chat_id=str(row["chat_id"]),
        severity=Severity(int(row["severity"])),
        title=str(row["title"]),
        lines=tuple(str(line) for line in json.loads(row["lines_json"])),
        dedupe_key=str(row["dedupe_key"]),
        kind=str(row["kind"]),
        silent=bool(row["silent"]),
        created_at=from_db(str(row["created_at"])),
        thread_id=None if row["thread_id"] is None else str(row["thread_id"]),
        image=None if row["image"] is None else bytes(row["image"]),
        image_name=None if row["image_name"] is None else str(row["image_name"]),
        actions=_actions(row["actions_json"]),
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
