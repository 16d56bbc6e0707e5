"""Persisted action tokens: a notification button's short token -> (chat, command line, expiry, used flag)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from fxbot.chat.persisted_buttons import PREFIX, ActionToken, Lookup
from fxbot.storage.database import Database
from fxbot.storage.timestamps import Clock, from_db, to_db, utc_now

DEFAULT_TTL = timedelta(hours=24)
TOKEN_BYTES = 12  # 16 URL-safe characters, 96 bits


class ActionTokens:
    """Mints tokens for notification buttons and claims them when pressed (a one-shot one exactly once)."""

    def __init__(self, db: Database, clock: Clock = utc_now, *, ttl: timedelta = DEFAULT_TTL) -> None:
        if ttl <= timedelta(0):
            raise ValueError(f"an action token's lifetime must be positive, got {ttl}")
        self._db = db
        self._clock = clock
        self._ttl = ttl

    @property
    def ttl(self) -> timedelta:
        return self._ttl

    async def mint(self, chat_id: str, command: str, *, once: bool) -> str:
        """A new token for `command` in `chat_id`, valid for the configured lifetime."""
        now = self._clock()
        token = PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
        await self._db.execute(
            "INSERT INTO action_tokens (token, chat_id, command, once, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (token, chat_id, command, 1 if once else 0, to_db(now), to_db(now + self._ttl)),
        )
        return token

    async def find(self, token: str, chat_id: str) -> ActionToken | Lookup:
        """The token if `chat_id` may use it now, else why not (a token of another chat is unknown here)."""
        row = await self._db.fetch_one(
            "SELECT token, chat_id, command, once, created_at, expires_at, used_at FROM action_tokens"
            " WHERE token = ?", (token,))
        if row is None or str(row["chat_id"]) != chat_id:
            return Lookup.UNKNOWN
        found = ActionToken(
            token=str(row["token"]), chat_id=str(row["chat_id"]), command=str(row["command"]),
            once=bool(row["once"]), created_at=from_db(str(row["created_at"])),
            expires_at=from_db(str(row["expires_at"])),
            used_at=None if row["used_at"] is None else from_db(str(row["used_at"])),
        )
        if found.once and found.used_at is not None:
            return Lookup.USED
        if self._clock() >= found.expires_at:
            return Lookup.EXPIRED
        return found

    async def claim(self, token: str, user_id: str) -> bool:
        """Mark a one-shot token used, atomically: True for exactly one of several concurrent presses."""
        now = to_db(self._clock())
        result = await self._db.execute(
            "UPDATE action_tokens SET used_at = ?, used_by = ? WHERE token = ? AND used_at IS NULL AND expires_at > ?",
            (now, user_id, token, now))
        return result.rowcount == 1

    async def purge(self, older_than: timedelta = timedelta(days=7)) -> int:
        """Forget tokens that expired more than `older_than` ago."""
        cutoff = to_db(self._clock() - older_than)
        result = await self._db.execute("DELETE FROM action_tokens WHERE expires_at < ?", (cutoff,))
        return result.rowcount
