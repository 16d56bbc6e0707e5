"""People seen in each chat, their display names and their roles."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime

from fxbot.chat.command_scope import forget_reads
from fxbot.domain.access import Role
from fxbot.storage.database import Database, Row
from fxbot.storage.timestamps import Clock, from_db, to_db, utc_now

_COLUMNS = "chat_id, user_id, display_name, role, updated_at"


@dataclass(frozen=True, slots=True)
class Member:
    """A person's role in one chat."""

    chat_id: str
    user_id: str
    display_name: str
    role: Role
    updated_at: datetime


def name_key(display_name: str) -> str:
    """The form names are matched by: no leading @, case-folded, trimmed."""
    return display_name.strip().lstrip("@").strip().casefold()


def _row_to_member(row: Row) -> Member:
    return Member(
        chat_id=str(row["chat_id"]),
        user_id=str(row["user_id"]),
        display_name=str(row["display_name"]),
        role=Role(row["role"]),
        updated_at=from_db(row["updated_at"]),
    )


class MemberRepository:
    """Roles per (chat, user); ensure() records people as they speak."""

    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        self._db = db
        self._clock = clock

    async def get(self, chat_id: str, user_id: str) -> Member | None:
        row = await self._db.fetch_one(
            f"SELECT {_COLUMNS} FROM chat_members WHERE chat_id = ? AND user_id = ?", (chat_id, user_id)
        )
        return None if row is None else _row_to_member(row)

    async def set_role(self, chat_id: str, user_id: str, role: Role, display_name: str) -> Member:
        """Give the user this role in the chat (creating the member if needed)."""
        now = to_db(self._clock())
        await self._db.execute(
            "INSERT INTO chat_members (chat_id, user_id, display_name, name_key, role, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (chat_id, user_id) DO UPDATE SET role = excluded.role,"
            " display_name = excluded.display_name, name_key = excluded.name_key,"
            " updated_at = excluded.updated_at",
            (chat_id, user_id, display_name, name_key(display_name), Role(role).value, now),
        )
        forget_reads()  # counted as a change of access (fxbot.chat.command_scope.access_writes)
        return await self._must_get(chat_id, user_id)

    async def ensure(self, chat_id: str, user_id: str, display_name: str, default_role: Role) -> Member:
        """The member, inserted with default_role if new; an existing role is kept, the name refreshed."""
        now = to_db(self._clock())
        await self._db.execute(
            "INSERT INTO chat_members (chat_id, user_id, display_name, name_key, role, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (chat_id, user_id) DO UPDATE SET display_name = excluded.display_name,"
            " name_key = excluded.name_key, updated_at = excluded.updated_at"
            " WHERE chat_members.display_name IS NOT excluded.display_name",
            (chat_id, user_id, display_name, name_key(display_name), Role(default_role).value, now),
        )
        return await self._must_get(chat_id, user_id)

    async def find_by_name(self, chat_id: str, name: str) -> builtins.list[Member]:
        """Members whose display name matches, ignoring case and a leading @ on either side."""
        key = name_key(name)
        if not key:
            return []
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM chat_members WHERE chat_id = ? AND name_key = ? ORDER BY user_id",
            (chat_id, key),
        )
        return [_row_to_member(row) for row in rows]

    async def count_admins(self, chat_id: str) -> int:
        value = await self._db.fetch_value(
            "SELECT COUNT(*) FROM chat_members WHERE chat_id = ? AND role = ?", (chat_id, Role.ADMIN.value)
        )
        return int(value)

    async def list(self, chat_id: str) -> builtins.list[Member]:
        """Every known member of the chat, admins first, then by name."""
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM chat_members WHERE chat_id = ?"
            " ORDER BY CASE role WHEN 'admin' THEN 0 WHEN 'trader' THEN 1 ELSE 2 END, name_key, user_id",
            (chat_id,),
        )
        return [_row_to_member(row) for row in rows]

    async def _must_get(self, chat_id: str, user_id: str) -> Member:
        member = await self.get(chat_id, user_id)
        assert member is not None
        return member
