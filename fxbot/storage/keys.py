"""API keys at rest: encrypted secret, masked fingerprint, HMAC lookup column; reveal is explicit."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime

from fxbot.chat.command_scope import forget_reads
from fxbot.domain.access import Scope
from fxbot.storage.database import Database, Row
from fxbot.storage.errors import DuplicateName, InvalidValue, KeyNotFound, UniqueViolation
from fxbot.storage.secret_box import SecretBox
from fxbot.storage.timestamps import Clock, from_db, to_db, utc_now

MAX_NAME_LENGTH = 64
MAX_SECRET_LENGTH = 512

_COLUMNS = "id, owner_id, name, scope, fingerprint, created_at"


@dataclass(frozen=True, slots=True)
class StoredKey:
    """A stored key as the bot may show it: never the secret, only a masked fingerprint."""

    id: int
    owner_id: str
    name: str
    scope: Scope
    fingerprint: str
    created_at: datetime


def fingerprint(secret: str) -> str:
    """A masked form safe to display: first 8 + last 4 characters, less for short secrets."""
    if len(secret) >= 24:
        return f"{secret[:8]}…{secret[-4:]}"
    if len(secret) >= 12:
        return f"…{secret[-4:]}"
    return "…"


def _validate_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise InvalidValue("a key name must not be empty")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise InvalidValue(f"a key name must be at most {MAX_NAME_LENGTH} characters")
    if not cleaned.isprintable():
        raise InvalidValue("a key name must not contain control characters")
    return cleaned


def _validate_secret(secret: str) -> str:
    # Messages here must never include the secret itself.
    cleaned = secret.strip()
    if not cleaned:
        raise InvalidValue("the API key is empty")
    if len(cleaned) > MAX_SECRET_LENGTH:
        raise InvalidValue(f"the API key is longer than {MAX_SECRET_LENGTH} characters")
    if any(ch.isspace() or not ch.isprintable() for ch in cleaned):
        raise InvalidValue("the API key must not contain spaces or control characters")
    return cleaned


def _row_to_key(row: Row) -> StoredKey:
    return StoredKey(
        id=int(row["id"]),
        owner_id=str(row["owner_id"]),
        name=str(row["name"]),
        scope=Scope(row["scope"]),
        fingerprint=str(row["fingerprint"]),
        created_at=from_db(row["created_at"]),
    )


class KeyRepository:
    """Adds, finds, reveals and removes API keys; plaintext exists only in add() and reveal()."""

    def __init__(self, db: Database, box: SecretBox, clock: Clock = utc_now) -> None:
        self._db = db
        self._box = box
        self._clock = clock

    def __repr__(self) -> str:
        return f"KeyRepository({self._db!r})"

    async def add(self, owner_id: str, name: str, secret: str, scope: Scope) -> StoredKey:
        """Store a new key encrypted; raises DuplicateName if the owner already uses the name."""
        forget_reads()  # the running command reads what it keeps again (fxbot.chat.command_scope)
        name = _validate_name(name)
        secret = _validate_secret(secret)
        scope = Scope(scope)
        created_at = self._clock()
        try:
            async with self._db.transaction():  # a savepoint inside a caller's transaction: it survives a clash
                key_id = await self._db.fetch_value(
                    "INSERT INTO api_keys"
                    " (owner_id, name, scope, secret_enc, secret_hmac, fingerprint, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (
                        owner_id,
                        name,
                        scope.value,
                        self._box.encrypt(secret),
                        self._box.lookup_digest(secret),
                        fingerprint(secret),
                        to_db(created_at),
                    ),
                )
        except UniqueViolation:
            raise DuplicateName(f"you already have a key named {name!r}") from None
        stored = await self.get(int(key_id))
        assert stored is not None
        return stored

    async def get(self, key_id: int) -> StoredKey | None:
        row = await self._db.fetch_one(f"SELECT {_COLUMNS} FROM api_keys WHERE id = ?", (key_id,))
        return None if row is None else _row_to_key(row)

    async def get_by_name(self, owner_id: str, name: str) -> StoredKey | None:
        row = await self._db.fetch_one(
            f"SELECT {_COLUMNS} FROM api_keys WHERE owner_id = ? AND name = ?", (owner_id, name.strip())
        )
        return None if row is None else _row_to_key(row)

    async def list_for_owner(self, owner_id: str) -> builtins.list[StoredKey]:
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM api_keys WHERE owner_id = ? ORDER BY name", (owner_id,)
        )
        return [_row_to_key(row) for row in rows]

    async def find_by_secret(self, owner_id: str, secret: str) -> StoredKey | None:
        """The owner's key with exactly this secret, found by HMAC (no plaintext is stored)."""
        row = await self._db.fetch_one(
            f"SELECT {_COLUMNS} FROM api_keys WHERE owner_id = ? AND secret_hmac = ? ORDER BY id LIMIT 1",
            (owner_id, self._box.lookup_digest(secret.strip())),
        )
        return None if row is None else _row_to_key(row)

    async def reveal(self, key_id: int) -> str:
        """Decrypt and return the secret: the only way to read it (for calling FxSocket)."""
        token = await self._db.fetch_value("SELECT secret_enc FROM api_keys WHERE id = ?", (key_id,))
        if token is None:
            raise KeyNotFound(f"no stored key with id {key_id}")
        return self._box.decrypt(bytes(token))

    async def set_scope(self, key_id: int, scope: Scope) -> None:
        forget_reads()  # the running command reads what it keeps again (fxbot.chat.command_scope)
        result = await self._db.execute(
            "UPDATE api_keys SET scope = ? WHERE id = ?", (Scope(scope).value, key_id)
        )
        if result.rowcount == 0:
            raise KeyNotFound(f"no stored key with id {key_id}")

    async def remove(self, owner_id: str, name: str) -> bool:
        """Delete the key; chats bound to it lose their binding (they become unbound)."""
        forget_reads()  # the running command reads what it keeps again (fxbot.chat.command_scope)
        async with self._db.transaction():
            key_id = await self._db.fetch_value(
                "SELECT id FROM api_keys WHERE owner_id = ? AND name = ?", (owner_id, name.strip())
            )
            if key_id is None:
                return False
            await self._db.execute("DELETE FROM chat_bindings WHERE key_id = ?", (key_id,))
            await self._db.execute("DELETE FROM api_keys WHERE id = ?", (key_id,))
        return True
