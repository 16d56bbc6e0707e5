"""The persisted outbox: notifications waiting for delivery, deduplicated, surviving restarts."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from fxbot.chat.types import ChatKind, ChatRef
from fxbot.notify.notification import Notification, NotificationAction, Severity
from fxbot.storage.database import Database
from fxbot.storage.errors import InvalidValue
from fxbot.storage.timestamps import Clock, from_db, to_db, utc_now

logger = logging.getLogger(__name__)

DEDUPE_RETENTION = timedelta(days=30)
"""Delivered rows (and so their dedupe keys) are kept at least this long."""

MAX_ERROR_LENGTH = 300
_CHUNK = 500


class OutboxState(StrEnum):
    """Where a row is in its life: waiting, delivered, or given up on."""

    PENDING = "pending"
    SENT = "sent"
    UNDELIVERABLE = "undeliverable"  # the platform forbids posting in that chat
    FAILED = "failed"  # retried max_attempts times without success (never for critical ones)


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


_COLUMNS = (
    "id, dedupe_key, chat_id, platform, thread_id, chat_kind, severity, kind, title, lines_json,"
    " silent, created_at, enqueued_at, attempts, image, image_name, actions_json"
)


class Outbox:
    """Notifications are enqueued here (once per dedupe key) and marked when delivered or given up.

    Rows are marked, not deleted, so a dedupe key stays known for DEDUPE_RETENTION after delivery;
    `purge_finished` removes older finished rows. Listeners added with `add_listener` are called
    after every successful enqueue (the notifier's `wake`).
    """

    def __init__(self, db: Database, clock: Clock = utc_now, *, chat_kinds: ChatKindRules | None = None) -> None:
        self._db = db
        self._clock = clock
        self._chat_kinds = dict(chat_kinds or {})
        self._listeners: list[Callable[[], None]] = []

    @property
    def database(self) -> Database:
        """The database the outbox lives in (the notifier keeps its blocked chats there too)."""
        return self._db

    def chat_kind(self, chat_id: str) -> ChatKind:
        """Private or group, by the rule the chat's platform declares (see infer_chat_kind)."""
        return infer_chat_kind(chat_id, self._chat_kinds)

    def add_listener(self, callback: Callable[[], None]) -> None:
        """Call `callback()` (synchronously, must not block) after each new row is committed."""
        self._listeners.append(callback)

    def remove_listener(self, callback: Callable[[], None]) -> None:
        if callback in self._listeners:
            self._listeners.remove(callback)

    async def enqueue(self, notification: Notification, *, chat_kind: ChatKind | None = None) -> bool:
        """Persist a notification for delivery; False (and nothing changed) when its key is known."""
        if not isinstance(notification, Notification):
            raise InvalidValue("only Notification values can be enqueued")
        kind = chat_kind if chat_kind is not None else self.chat_kind(notification.chat_id)
        result = await self._db.execute(
            f"INSERT INTO notify_outbox ({_COLUMNS.removeprefix('id, ')})"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)"
            " ON CONFLICT (dedupe_key) DO NOTHING",
            (
                notification.dedupe_key,
                notification.chat_id,
                notification.platform,
                notification.thread_id,
                kind.value,
                int(notification.severity),
                notification.kind,
                notification.title,
                json.dumps(list(notification.lines), ensure_ascii=False),
                1 if notification.silent else 0,
                to_db(notification.created_at),
                to_db(self._clock()),
                notification.image,
                notification.image_name,
                _actions_json(notification.actions),
            ),
        )
        if result.rowcount == 0:
            logger.debug("outbox: dropped duplicate notification %s", notification.dedupe_key)
            return False
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                logger.exception("outbox listener failed")
        return True

    async def enqueue_many(self, notifications: Sequence[Notification]) -> list[bool]:
        """Persist many notifications atomically (one transaction, or the caller's); for each, whether it was
        new (False: its key was known, or came earlier in the same call). Listeners are called once."""
        for notification in notifications:
            if not isinstance(notification, Notification):
                raise InvalidValue("only Notification values can be enqueued")
        keys = [n.dedupe_key for n in notifications]
        enqueued_at = to_db(self._clock())
        async with self._db.transaction():
            known: set[str] = set()
            for chunk in range(0, len(keys), _CHUNK):
                part = keys[chunk:chunk + _CHUNK]
                rows = await self._db.fetch_all(
                    f"SELECT dedupe_key FROM notify_outbox WHERE dedupe_key IN ({', '.join('?' * len(part))})", part)
                known.update(str(row[0]) for row in rows)
            fresh: list[bool] = []
            rows_to_add = []
            for notification in notifications:
                new = notification.dedupe_key not in known
                fresh.append(new)
                if new:
                    known.add(notification.dedupe_key)
                    rows_to_add.append(self._row(notification, self.chat_kind(notification.chat_id), enqueued_at))
            if rows_to_add:
                await self._db.execute_many(
                    f"INSERT INTO notify_outbox ({_COLUMNS.removeprefix('id, ')})"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING",
                    rows_to_add)
        if rows_to_add:
            for listener in list(self._listeners):
                try:
                    listener()
                except Exception:
                    logger.exception("outbox listener failed")
        return fresh

    @staticmethod
    def _row(notification: Notification, kind: ChatKind, enqueued_at: str) -> tuple[object, ...]:
        return (notification.dedupe_key, notification.chat_id, notification.platform, notification.thread_id,
                kind.value, int(notification.severity), notification.kind, notification.title,
                json.dumps(list(notification.lines), ensure_ascii=False), 1 if notification.silent else 0,
                to_db(notification.created_at), enqueued_at, notification.image, notification.image_name,
                _actions_json(notification.actions))

    async def is_known(self, dedupe_key: str) -> bool:
        """True when a notification with this dedupe key was enqueued (and not yet purged)."""
        value = await self._db.fetch_value("SELECT 1 FROM notify_outbox WHERE dedupe_key = ?", (dedupe_key,))
        return value is not None

    async def pending(self, *, after_id: int = 0, limit: int | None = None) -> list[OutboxItem]:
        """Items still to deliver, oldest first; `after_id` skips rows already seen."""
        sql = f"SELECT {_COLUMNS} FROM notify_outbox WHERE state = 'pending' AND id > ? ORDER BY id"
        params: list[object] = [after_id]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        return [_item(row) for row in await self._db.fetch_all(sql, params)]

    async def pending_for(self, chat_id: str) -> list[OutboxItem]:
        """One chat's items still to deliver, oldest first."""
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM notify_outbox WHERE state = 'pending' AND chat_id = ? ORDER BY id",
            (chat_id,),
        )
        return [_item(row) for row in rows]

    async def mark_sent(self, ids: Iterable[int]) -> int:
        """Record that these pending items were delivered; returns how many changed."""
        return await self._finish(ids, OutboxState.SENT, None)

    async def mark_failed(self, ids: Iterable[int], error: str) -> int:
        """Give up on these pending items after too many failed attempts."""
        return await self._finish(ids, OutboxState.FAILED, error)

    async def mark_undeliverable(self, ids: Iterable[int], reason: str) -> int:
        """Give up on these pending items because the chat refuses messages."""
        return await self._finish(ids, OutboxState.UNDELIVERABLE, reason)

    async def mark_chat_undeliverable(self, chat_id: str, reason: str) -> int:
        """Give up on every pending item of a chat; returns how many."""
        result = await self._db.execute(
            "UPDATE notify_outbox SET state = 'undeliverable', last_error = ?, finished_at = ?"
            " WHERE chat_id = ? AND state = 'pending'",
            (reason[:MAX_ERROR_LENGTH], to_db(self._clock()), chat_id),
        )
        return result.rowcount

    async def record_failure(self, ids: Iterable[int], error: str) -> None:
        """Count one more failed attempt for these pending items and remember the error."""
        for chunk in _chunks(ids):
            marks = ", ".join("?" * len(chunk))
            await self._db.execute(
                f"UPDATE notify_outbox SET attempts = attempts + 1, last_error = ?"
                f" WHERE state = 'pending' AND id IN ({marks})",
                (error[:MAX_ERROR_LENGTH], *chunk),
            )

    async def counts(self) -> dict[OutboxState, int]:
        """How many rows are in each state."""
        rows = await self._db.fetch_all("SELECT state, COUNT(*) FROM notify_outbox GROUP BY state")
        found = {OutboxState(str(state)): int(n) for state, n in rows}
        return {state: found.get(state, 0) for state in OutboxState}

    async def purge_finished(self, older_than: timedelta = DEDUPE_RETENTION) -> int:
        """Delete rows finished before now - older_than (never pending ones); returns how many."""
        if older_than < DEDUPE_RETENTION:
            raise InvalidValue(f"finished rows are kept at least {DEDUPE_RETENTION.days} days (dedupe)")
        cutoff = to_db(self._clock() - older_than)
        result = await self._db.execute(
            "DELETE FROM notify_outbox WHERE state <> 'pending' AND finished_at < ?", (cutoff,)
        )
        return result.rowcount

    async def _finish(self, ids: Iterable[int], state: OutboxState, error: str | None) -> int:
        now = to_db(self._clock())
        message = None if error is None else error[:MAX_ERROR_LENGTH]
        chunks = _chunks(ids)
        if len(chunks) <= 1:
            # One autocommitted statement: after a send this is the at-least-once window, keep it short.
            return sum([await self._finish_chunk(chunk, state, now, message) for chunk in chunks])
        changed = 0
        async with self._db.transaction():
            for chunk in chunks:
                changed += await self._finish_chunk(chunk, state, now, message)
        return changed

    async def _finish_chunk(self, chunk: Sequence[int], state: OutboxState, now: str, message: str | None) -> int:
        marks = ", ".join("?" * len(chunk))
        result = await self._db.execute(
            f"UPDATE notify_outbox SET state = ?, finished_at = ?, last_error = COALESCE(?, last_error)"
            f" WHERE state = 'pending' AND id IN ({marks})",
            (state.value, now, message, *chunk),
        )
        return result.rowcount


def _chunks(ids: Iterable[int]) -> list[Sequence[int]]:
    values = [int(i) for i in ids]
    return [values[i : i + _CHUNK] for i in range(0, len(values), _CHUNK)]


def _item(row: sqlite3.Row) -> OutboxItem:
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


def _actions_json(actions: tuple[NotificationAction, ...]) -> str | None:
    if not actions:
        return None
    return json.dumps([{"label": a.label, "command": a.command, "once": a.once, "style": a.style} for a in actions],
                      ensure_ascii=False)


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
