"""Chats that refuse the bot's messages: the one record of them, kept in SQLite so it outlives a restart."""

from __future__ import annotations

import asyncio
import logging

from fxbot.storage.database import Database
from fxbot.storage.timestamps import Clock, to_db, utc_now

logger = logging.getLogger(__name__)

MAX_REASON_LENGTH = 300


class BlockedChats:
    """Which chats refuse the bot (a platform answered "forbidden"), in memory and in `blocked_chats`.

    The notifier owns the one instance: it blocks a chat on `DeliveryForbidden` and unblocks it when
    the chat's adapter reports it reachable again (someone wrote there, the bot was re-added).
    `unblock` is cheap for a chat that is not blocked (an in-memory check), so adapters may report
    every incoming message. The rows are loaded once, on first use.
    """

    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        self._db = db
        self._clock = clock
        self._chats: set[str] = set()
        self._loaded = False
        self._load_lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"BlockedChats(count={len(self._chats)}, loaded={self._loaded})"

    def __contains__(self, chat_id: object) -> bool:
        return chat_id in self._chats

    @property
    def chats(self) -> frozenset[str]:
        """The chats blocked now (as loaded; call `load()` first for the stored ones)."""
        return frozenset(self._chats)

    async def load(self) -> None:
        """Read the stored blocked chats (once; later calls return at once)."""
        if self._loaded:
            return
        async with self._load_lock:
            if self._loaded:
                return
            rows = await self._db.fetch_all("SELECT chat_id FROM blocked_chats")
            self._chats.update(str(row["chat_id"]) for row in rows)
            self._loaded = True

    async def block(self, chat_id: str, reason: str) -> bool:
        """Record that the chat refuses messages; True when it was not blocked before."""
        await self.load()
        first = chat_id not in self._chats
        self._chats.add(chat_id)  # in memory first: a failing write must not let sends go on
        await self._db.execute(
            "INSERT INTO blocked_chats (chat_id, reason, blocked_at) VALUES (?, ?, ?)"
            " ON CONFLICT (chat_id) DO UPDATE SET reason = excluded.reason",
            (chat_id, reason[:MAX_REASON_LENGTH], to_db(self._clock())),
        )
        return first

    async def unblock(self, chat_id: str) -> bool:
        """The chat is reachable again; True when it was blocked."""
        await self.load()
        if chat_id not in self._chats:
            return False
        await self._db.execute("DELETE FROM blocked_chats WHERE chat_id = ?", (chat_id,))
        self._chats.discard(chat_id)
        return True

    def moved(self, old_chat_id: str, new_chat_id: str) -> None:
        """Follow a chat that changed id, after storage moved its row (Storage.move_chat moves every chat_id)."""
        if old_chat_id in self._chats:
            self._chats.discard(old_chat_id)
            self._chats.add(new_chat_id)
