"""The digest_schedules table: one daily and one weekly schedule per chat, with the last slot run or skipped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from fxbot.chat.types import ChatKind
from fxbot.scheduling.digest_times import DigestKind, SlotRule
from fxbot.storage.database import Database, Row
from fxbot.storage.timestamps import from_db, to_db

_COLUMNS = ("chat_id, kind, hour, minute, timezone, chat_kind, thread_id, created_by, created_at, last_slot,"
            " last_run_at, last_equity, missed_note")


@dataclass(frozen=True, slots=True)
class DigestSchedule:
    """A chat's daily or weekly digest: when (hour:minute in timezone) and what happened last."""

    chat_id: str
    kind: DigestKind
    hour: int
    minute: int
    timezone: str
    chat_kind: ChatKind
    thread_id: str | None
    created_by: str
    created_at: datetime
    last_slot: datetime | None = None  # the slot last sent, or skipped after downtime
    last_run_at: datetime | None = None
    last_equity: float | None = None  # the account equity when the last digest was built
    missed_note: str | None = None  # digests skipped while the bot was down, told in the next one

    @property
    def job_id(self) -> str:
        """The stable APScheduler job id: the same after every restart."""
        return job_id(self.chat_id, self.kind)

    @property
    def rule(self) -> SlotRule:
        return SlotRule.for_kind(self.kind, self.hour, self.minute, ZoneInfo(self.timezone))

    @property
    def time_text(self) -> str:
        day = "weekdays" if self.kind == "daily" else "Fridays"
        return f"{day} at {self.hour:02d}:{self.minute:02d} {self.timezone}"


def job_id(chat_id: str, kind: str) -> str:
    return f"digest:{kind}:{chat_id}"


def _row(row: Row) -> DigestSchedule:
    def moment(name: str) -> datetime | None:
        value = row[name]
        return None if value is None else from_db(str(value))

    return DigestSchedule(
        chat_id=str(row["chat_id"]),
        kind="daily" if row["kind"] == "daily" else "weekly",
        hour=int(row["hour"]),
        minute=int(row["minute"]),
        timezone=str(row["timezone"]),
        chat_kind=ChatKind(str(row["chat_kind"])),
        thread_id=None if row["thread_id"] is None else str(row["thread_id"]),
        created_by=str(row["created_by"]),
        created_at=from_db(str(row["created_at"])),
        last_slot=moment("last_slot"),
        last_run_at=moment("last_run_at"),
        last_equity=None if row["last_equity"] is None else float(row["last_equity"]),
        missed_note=None if row["missed_note"] is None else str(row["missed_note"]),
    )


class DigestScheduleStore:
    """Reads and writes digest schedules; enabling again replaces the time and keeps the run history."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def save(self, schedule: DigestSchedule) -> DigestSchedule:
        """Insert or replace the time of (chat, kind); the last run and pending note are kept."""
        await self._db.execute(
            f"INSERT INTO digest_schedules ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL)"
            " ON CONFLICT (chat_id, kind) DO UPDATE SET hour = excluded.hour, minute = excluded.minute,"
            " timezone = excluded.timezone, chat_kind = excluded.chat_kind, thread_id = excluded.thread_id,"
            " created_by = excluded.created_by, created_at = excluded.created_at",
            (schedule.chat_id, schedule.kind, schedule.hour, schedule.minute, schedule.timezone,
             schedule.chat_kind.value, schedule.thread_id, schedule.created_by, to_db(schedule.created_at)),
        )
        stored = await self.get(schedule.chat_id, schedule.kind)
        assert stored is not None
        return stored

    async def get(self, chat_id: str, kind: DigestKind) -> DigestSchedule | None:
        row = await self._db.fetch_one(
            f"SELECT {_COLUMNS} FROM digest_schedules WHERE chat_id = ? AND kind = ?", (chat_id, kind)
        )
        return None if row is None else _row(row)

    async def for_chat(self, chat_id: str) -> list[DigestSchedule]:
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM digest_schedules WHERE chat_id = ? ORDER BY kind", (chat_id,)
        )
        return [_row(r) for r in rows]

    async def all(self) -> list[DigestSchedule]:
        rows = await self._db.fetch_all(f"SELECT {_COLUMNS} FROM digest_schedules ORDER BY chat_id, kind")
        return [_row(r) for r in rows]

    async def delete(self, chat_id: str, kind: DigestKind) -> bool:
        result = await self._db.execute(
            "DELETE FROM digest_schedules WHERE chat_id = ? AND kind = ?", (chat_id, kind)
        )
        return result.rowcount > 0

    async def mark_run(self, chat_id: str, kind: DigestKind, *, slot: datetime, ran_at: datetime,
                       equity: float | None) -> None:
        """A digest for `slot` was handed to the notifier: remember it and clear the missed note."""
        await self._db.execute(
            "UPDATE digest_schedules SET last_slot = ?, last_run_at = ?, last_equity = ?, missed_note = NULL"
            " WHERE chat_id = ? AND kind = ?",
            (to_db(slot), to_db(ran_at), equity, chat_id, kind),
        )

    async def mark_skipped(self, chat_id: str, kind: DigestKind, *, slot: datetime, note: str) -> None:
        """Slots up to `slot` were missed for good: remember it and what to say in the next digest."""
        await self._db.execute(
            "UPDATE digest_schedules SET last_slot = ?, last_equity = NULL, missed_note = ?"
            " WHERE chat_id = ? AND kind = ?",
            (to_db(slot), note, chat_id, kind),
        )
