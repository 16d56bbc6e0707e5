"""Per-chat preferences: order confirmation, timezone and small named values."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fxbot.chat.command_scope import forget_reads
from fxbot.storage.database import Database
from fxbot.storage.errors import InvalidValue

ConfirmMode = Literal["always", "never", "above"]
CONFIRM_MODES: tuple[ConfirmMode, ...] = ("always", "never", "above")
MAX_VALUE_NAME = 64
MAX_VALUE_LENGTH = 4096


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """A chat's settings; None means "use the bot's default"."""

    chat_id: str
    confirm_mode: ConfirmMode | None = None
    confirm_above: float | None = None
    timezone: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def validate_timezone(tz: str) -> str:
    """The IANA zone name if it exists (e.g. "Europe/London"), else InvalidValue."""
    cleaned = tz.strip()
    try:
        ZoneInfo(cleaned)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a tzdata folder such as "Europe"
        raise InvalidValue(f"unknown timezone {cleaned!r}: use an IANA name such as Europe/London") from None
    return cleaned


class ChatSettingsRepository:
    """Reads and writes chat settings; get() returns defaults for a chat never configured."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, chat_id: str) -> ChatSettings:
        """The chat's settings and named values, in one statement (part 0: the settings row, part 1: the values)."""
        rows = await self._db.fetch_all(
            "SELECT 0 AS part, confirm_mode AS name, confirm_above AS above, timezone AS value"
            " FROM chat_settings WHERE chat_id = ?"
            " UNION ALL SELECT 1, name, NULL, value FROM chat_setting_values WHERE chat_id = ?"
            " ORDER BY part, name", (chat_id, chat_id)
        )
        row = rows[0] if rows and rows[0]["part"] == 0 else None
        extra = {str(r["name"]): str(r["value"]) for r in rows if r["part"] == 1}
        if row is None:
            return ChatSettings(chat_id=chat_id, extra=extra)
        return ChatSettings(
            chat_id=chat_id,
            confirm_mode=cast(ConfirmMode | None, row["name"]),
            confirm_above=None if row["above"] is None else float(row["above"]),
            timezone=row["value"],
            extra=extra,
        )

    async def set_confirm(self, chat_id: str, mode: str | None, above: float | None = None) -> ChatSettings:
        """Set when orders need confirmation; "above" needs a positive threshold, others none."""
        forget_reads()  # the running command reads what it keeps again (fxbot.chat.command_scope)
        if mode is not None and mode not in CONFIRM_MODES:
            raise InvalidValue(f"confirm mode must be one of {', '.join(CONFIRM_MODES)} (or default)")
        if mode == "above":
            if above is None or not math.isfinite(above) or above <= 0:
                raise InvalidValue("confirm mode 'above' needs a positive threshold")
        elif above is not None:
            raise InvalidValue("a confirmation threshold only applies to mode 'above'")
        await self._db.execute(
            "INSERT INTO chat_settings (chat_id, confirm_mode, confirm_above) VALUES (?, ?, ?)"
            " ON CONFLICT (chat_id) DO UPDATE SET confirm_mode = excluded.confirm_mode,"
            " confirm_above = excluded.confirm_above",
            (chat_id, mode, None if above is None else float(above)),
        )
        return await self.get(chat_id)

    async def set_timezone(self, chat_id: str, tz: str | None) -> ChatSettings:
        """Set the chat's IANA timezone (None: the bot's default)."""
        forget_reads()  # the running command reads what it keeps again (fxbot.chat.command_scope)
        zone = None if tz is None else validate_timezone(tz)
        await self._db.execute(
            "INSERT INTO chat_settings (chat_id, timezone) VALUES (?, ?)"
            " ON CONFLICT (chat_id) DO UPDATE SET timezone = excluded.timezone",
            (chat_id, zone),
        )
        return await self.get(chat_id)

    async def set_value(self, chat_id: str, key: str, value: str | None) -> None:
        """Store a small named setting; None deletes it."""
        forget_reads()  # the running command reads what it keeps again (fxbot.chat.command_scope)
        if not key or len(key) > MAX_VALUE_NAME:
            raise InvalidValue(f"a setting name must be 1-{MAX_VALUE_NAME} characters")
        if value is None:
            await self._db.execute(
                "DELETE FROM chat_setting_values WHERE chat_id = ? AND name = ?", (chat_id, key)
            )
            return
        if len(value) > MAX_VALUE_LENGTH:
            raise InvalidValue(f"a setting value must be at most {MAX_VALUE_LENGTH} characters")
        await self._db.execute(
            "INSERT INTO chat_setting_values (chat_id, name, value) VALUES (?, ?, ?)"
            " ON CONFLICT (chat_id, name) DO UPDATE SET value = excluded.value",
            (chat_id, key, value),
        )

    async def get_value(self, chat_id: str, key: str) -> str | None:
        value = await self._db.fetch_value(
            "SELECT value FROM chat_setting_values WHERE chat_id = ? AND name = ?", (chat_id, key)
        )
        return None if value is None else str(value)
