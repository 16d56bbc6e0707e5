"""Per-chat notification preferences: for each fill event type, on, silent (no sound) or off."""

from __future__ import annotations

from typing import Literal, cast

from fxbot.storage.database import Database
from fxbot.storage.errors import InvalidValue

NotifyMode = Literal["on", "silent", "off"]
NOTIFY_MODES: tuple[NotifyMode, ...] = ("on", "silent", "off")
DEFAULT_MODE: NotifyMode = "on"

EVENT_TYPES: tuple[str, ...] = (
    "order_placed",
    "pending_triggered",
    "position_opened",
    "modified",
    "closed_manual",
    "sl_hit",
    "tp_hit",
    "stop_out",
    "partial_close",
    "cancelled",
    "rejected",
    "trail",  # a stop moved by a breakeven or trailing rule (fxbot.management)
)
"""Every fill event type a chat can switch, in display order ("fills" switches them all)."""

ALL_FILLS = "fills"
"""The pseudo event type that sets every fill type at once."""

OTHER_TYPES: tuple[str, ...] = ("watchdog",)
"""Event types beside the fills, switched one by one ("fills" leaves them alone)."""


class NotificationPreferences:
    """Reads and writes a chat's per-event-type modes; a type never set is "on"."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, chat_id: str) -> dict[str, NotifyMode]:
        """Every event type of the chat with its mode, defaults filled in, in EVENT_TYPES order."""
        _check_chat(chat_id)
        rows = await self._db.fetch_all(
            "SELECT event_type, mode FROM notification_preferences WHERE chat_id = ?", (chat_id,)
        )
        stored = {str(row["event_type"]): cast(NotifyMode, str(row["mode"])) for row in rows}
        return {event: stored.get(event, DEFAULT_MODE) for event in EVENT_TYPES}

    async def mode(self, chat_id: str, event_type: str) -> NotifyMode:
        """The mode of one event type in one chat."""
        event = _check_event(event_type, allow_all=False)
        _check_chat(chat_id)
        value = await self._db.fetch_value(
            "SELECT mode FROM notification_preferences WHERE chat_id = ? AND event_type = ?",
            (chat_id, event),
        )
        return DEFAULT_MODE if value is None else cast(NotifyMode, str(value))

    async def set(self, chat_id: str, event_type: str, mode: str) -> dict[str, NotifyMode]:
        """Set one event type (or "fills": every type) to on|silent|off; returns the chat's modes."""
        _check_chat(chat_id)
        event = _check_event(event_type, allow_all=True)
        cleaned = mode.strip().lower() if isinstance(mode, str) else mode
        if cleaned not in NOTIFY_MODES:
            raise InvalidValue(f"notification mode must be one of {', '.join(NOTIFY_MODES)}, got {mode!r}")
        events = EVENT_TYPES if event == ALL_FILLS else (event,)
        await self._db.execute_many(
            "INSERT INTO notification_preferences (chat_id, event_type, mode) VALUES (?, ?, ?)"
            " ON CONFLICT (chat_id, event_type) DO UPDATE SET mode = excluded.mode",
            [(chat_id, e, cleaned) for e in events],
        )
        return await self.get(chat_id)

    async def reset(self, chat_id: str) -> None:
        """Forget every preference of a chat (all types back to "on")."""
        _check_chat(chat_id)
        await self._db.execute("DELETE FROM notification_preferences WHERE chat_id = ?", (chat_id,))


def _check_chat(chat_id: str) -> None:
    if not isinstance(chat_id, str) or not chat_id:
        raise InvalidValue("a chat id is required")


def _check_event(event_type: str, *, allow_all: bool) -> str:
    cleaned = event_type.strip().lower() if isinstance(event_type, str) else ""
    if cleaned in EVENT_TYPES or cleaned in OTHER_TYPES or (allow_all and cleaned == ALL_FILLS):
        return cleaned
    choices = ", ".join(((ALL_FILLS,) if allow_all else ()) + EVENT_TYPES + OTHER_TYPES)
    raise InvalidValue(f"unknown notification event type {event_type!r}: use one of {choices}")
