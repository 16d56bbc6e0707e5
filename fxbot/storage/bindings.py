"""Which API key (and optionally which account) each chat uses."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime

from fxbot.chat.command_scope import forget_reads
from fxbot.storage.database import Database, Row
from fxbot.storage.errors import IntegrityViolation, KeyNotFound, NotBound
from fxbot.storage.keys import _COLUMNS as _KEY_COLUMNS  # the package's own mapping of a key's row
from fxbot.storage.keys import StoredKey, _row_to_key
from fxbot.storage.timestamps import Clock, from_db, to_db, utc_now

_COLUMNS = "chat_id, key_id, account_id, bound_by, bound_at"
_WITH_KEY_COLUMNS = ", ".join([f"b.{c}" for c in _COLUMNS.split(", ")] + [f"k.{c}" for c in _KEY_COLUMNS.split(", ")])


@dataclass(frozen=True, slots=True)
class Binding:
    """A chat bound to a stored key; account_id None means the key's first account."""

    chat_id: str
    key_id: int
    account_id: str | None
    bound_by: str
    bound_at: datetime


def _row_to_binding(row: Row) -> Binding:
    return Binding(
        chat_id=str(row["chat_id"]),
        key_id=int(row["key_id"]),
        account_id=None if row["account_id"] is None else str(row["account_id"]),
        bound_by=str(row["bound_by"]),
        bound_at=from_db(row["bound_at"]),
    )


class BindingRepository:
    """One binding per chat; binding again replaces the previous one."""

    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        self._db = db
        self._clock = clock

    async def bind(self, chat_id: str, key_id: int, bound_by: str, account_id: str | None = None) -> Binding:
        """Bind the chat to the key (replacing any binding); KeyNotFound if the key does not exist."""
        forget_reads()  # the running command reads what it keeps again (fxbot.chat.command_scope)
        binding = Binding(chat_id, key_id, account_id, bound_by, self._clock())
        try:
            async with self._db.transaction():  # a savepoint inside a caller's transaction: it survives a refusal
                await self._db.execute(
                    "INSERT INTO chat_bindings (chat_id, key_id, account_id, bound_by, bound_at)"
                    " VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT (chat_id) DO UPDATE SET key_id = excluded.key_id,"
                    " account_id = excluded.account_id, bound_by = excluded.bound_by,"
                    " bound_at = excluded.bound_at",
                    (chat_id, key_id, account_id, bound_by, to_db(binding.bound_at)),
                )
        except IntegrityViolation:  # the key's foreign key
            raise KeyNotFound(f"no stored key with id {key_id}") from None
        stored = await self.get(chat_id)
        assert stored is not None
        return stored

    async def get(self, chat_id: str) -> Binding | None:
        row = await self._db.fetch_one(f"SELECT {_COLUMNS} FROM chat_bindings WHERE chat_id = ?", (chat_id,))
        return None if row is None else _row_to_binding(row)

    async def get_with_key(self, chat_id: str) -> tuple[Binding, StoredKey | None] | None:
        """The chat's binding and its key's record (never the secret; None: the key is gone) in one statement,
        as `get` and `KeyRepository.get` give them; None when the chat is not bound."""
        row = await self._db.fetch_one(f"SELECT {_WITH_KEY_COLUMNS} FROM chat_bindings b"
                                       " LEFT JOIN api_keys k ON k.id = b.key_id WHERE b.chat_id = ?", (chat_id,))
        if row is None:
            return None
        return _row_to_binding(row), None if row["id"] is None else _row_to_key(row)

    async def set_account(self, chat_id: str, account_id: str | None) -> None:
        """Choose the account used by the chat's key (None: the key's first account)."""
        forget_reads()  # the running command reads what it keeps again (fxbot.chat.command_scope)
        result = await self._db.execute(
            "UPDATE chat_bindings SET account_id = ? WHERE chat_id = ?", (account_id, chat_id)
        )
        if result.rowcount == 0:
            raise NotBound(f"chat {chat_id} is not bound to a key")

    async def unbind(self, chat_id: str) -> bool:
        forget_reads()  # the running command reads what it keeps again (fxbot.chat.command_scope)
        result = await self._db.execute("DELETE FROM chat_bindings WHERE chat_id = ?", (chat_id,))
        return result.rowcount > 0

    async def chats_using_key(self, key_id: int) -> builtins.list[str]:
        rows = await self._db.fetch_all(
            "SELECT chat_id FROM chat_bindings WHERE key_id = ? ORDER BY chat_id", (key_id,)
        )
        return [str(row[0]) for row in rows]
