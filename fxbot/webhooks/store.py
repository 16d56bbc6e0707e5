"""Webhook endpoints and the requests seen from them, in SQLite: tokens and secrets are kept only as hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from fxbot.chat.types import ChatKind, ChatRef
from fxbot.storage.database import Database, Row
from fxbot.storage.errors import UniqueViolation
from fxbot.storage.timestamps import from_db, to_db

TOKEN_BYTES = 32
BODY_REPLAY_WINDOW = timedelta(seconds=60)
PATH_PREFIX = "/webhook/"  # the receiver serves POST {PATH_PREFIX}{token}


def token_hash(token: str) -> str:
    """The stored form of a token (or a shared secret): a SHA-256 hex digest; the token has 256 random bits."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> str:
    """A fresh unguessable URL-safe token."""
    return secrets.token_urlsafe(TOKEN_BYTES)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One webhook endpoint: commands sent to it run as `created_by` in `chat_id`."""

    id: int
    name: str
    chat_id: str
    chat_kind: ChatKind
    thread_id: str | None
    created_by: str
    creator_name: str
    has_token: bool
    secret_hash: str | None
    allow_ips: tuple[str, ...]
    created_at: datetime
    revoked: bool

    @property
    def chat(self) -> ChatRef:
        return ChatRef(id=self.chat_id, kind=self.chat_kind, platform=self.chat_id.split(":", 1)[0],
                       thread_id=self.thread_id)

    def secret_matches(self, secret: str | None) -> bool:
        """True when the endpoint has no shared secret, or `secret` is it (compared in constant time)."""
        if self.secret_hash is None:
            return True
        return secret is not None and hmac.compare_digest(token_hash(secret), self.secret_hash)


class NameTaken(Exception):
    """A live endpoint with that name already exists in the chat."""


_COLUMNS = ("id, name, chat_id, chat_kind, thread_id, created_by, creator_name, token_hash, secret_hash, allow_ips,"
            " created_at, revoked_at")


def _endpoint(row: Row) -> Endpoint:
    ips = str(row["allow_ips"] or "")
    return Endpoint(id=int(row["id"]), name=str(row["name"]), chat_id=str(row["chat_id"]),
                    chat_kind=ChatKind(str(row["chat_kind"])), thread_id=row["thread_id"],
                    created_by=str(row["created_by"]), creator_name=str(row["creator_name"]),
                    has_token=row["token_hash"] is not None, secret_hash=row["secret_hash"],
                    allow_ips=tuple(ip for ip in ips.split(",") if ip), created_at=from_db(str(row["created_at"])),
                    revoked=row["revoked_at"] is not None)


class WebhookStore:
    """The endpoints repository; `clock` stamps creations, revocations and seen requests."""

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._clock = clock

    async def create(self, *, name: str, chat: ChatRef, created_by: str, creator_name: str,
                     secret: str | None = None, allow_ips: tuple[str, ...] = (),
                     with_token: bool = True) -> tuple[Endpoint, str | None]:
        """A new endpoint and its token (None when `with_token` is False: issued later with `issue_token`)."""
        token = new_token() if with_token else None
        try:
            async with self._db.transaction():  # a savepoint inside a caller's transaction: it survives a clash
                endpoint_id = await self._db.fetch_value(
                    "INSERT INTO webhook_endpoints (name, chat_id, chat_kind, thread_id, created_by, creator_name,"
                    " token_hash, secret_hash, allow_ips, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " RETURNING id",
                    (name, chat.id, chat.kind.value, chat.thread_id, created_by, creator_name,
                     token_hash(token) if token else None, token_hash(secret) if secret else None,
                     ",".join(allow_ips) or None, to_db(self._clock())))
        except UniqueViolation:
            raise NameTaken(name) from None
        endpoint = await self._by_id(int(endpoint_id))
        assert endpoint is not None
        return endpoint, token

    async def issue_token(self, endpoint_id: int) -> str:
        """A new token for a live endpoint; the previous one stops working."""
        token = new_token()
        await self._db.execute("UPDATE webhook_endpoints SET token_hash = ? WHERE id = ? AND revoked_at IS NULL",
                               (token_hash(token), endpoint_id))
        return token

    async def set_secret(self, endpoint_id: int, secret: str | None) -> None:
        """Require `secret` in request bodies from now on (None: no secret)."""
        await self._db.execute("UPDATE webhook_endpoints SET secret_hash = ? WHERE id = ?",
                               (token_hash(secret) if secret else None, endpoint_id))

    async def by_token(self, token: str) -> Endpoint | None:
        """The live endpoint holding `token` (by its hash; the stored digest is compared in constant time)."""
        digest = token_hash(token)
        row = await self._db.fetch_one(
            f"SELECT {_COLUMNS} FROM webhook_endpoints WHERE token_hash = ? AND revoked_at IS NULL", (digest,))
        if row is None or not hmac.compare_digest(str(row["token_hash"]), digest):
            return None
        return _endpoint(row)

    async def in_chat(self, chat_id: str) -> list[Endpoint]:
        """The chat's live endpoints, by name."""
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM webhook_endpoints WHERE chat_id = ? AND revoked_at IS NULL ORDER BY name",
            (chat_id,))
        return [_endpoint(row) for row in rows]

    async def named(self, chat_id: str, name: str) -> Endpoint | None:
        row = await self._db.fetch_one(
            f"SELECT {_COLUMNS} FROM webhook_endpoints WHERE chat_id = ? AND name = ? AND revoked_at IS NULL",
            (chat_id, name))
        return None if row is None else _endpoint(row)

    async def created_by(self, user_id: str, name: str) -> Endpoint | None:
        """The newest live endpoint `user_id` created under `name`, in any chat."""
        row = await self._db.fetch_one(
            f"SELECT {_COLUMNS} FROM webhook_endpoints WHERE created_by = ? AND name = ? AND revoked_at IS NULL"
            " ORDER BY id DESC LIMIT 1", (user_id, name))
        return None if row is None else _endpoint(row)

    async def revoke(self, endpoint_id: int) -> bool:
        """Revoke for good (its token is forgotten); False when it was not live."""
        result = await self._db.execute(
            "UPDATE webhook_endpoints SET revoked_at = ?, token_hash = NULL WHERE id = ? AND revoked_at IS NULL",
            (to_db(self._clock()), endpoint_id))
        return result.rowcount > 0

    async def first_time(self, endpoint_id: int, request_key: str, *, window: timedelta | None = None) -> bool:
        """Record a request; False when it was seen before (ever, or within `window` when one is given).

        One statement, so two deliveries of the same request at once (other tasks, other processes, on
        PostgreSQL's concurrent connections too) can never both be told True."""
        now = self._clock()
        cutoff = "" if window is None else to_db(now - window)  # a row seen at or before it counts as new
        recorded = await self._db.fetch_value(
            "INSERT INTO webhook_requests (endpoint_id, request_key, received_at) VALUES (?, ?, ?)"
            " ON CONFLICT (endpoint_id, request_key) DO UPDATE SET received_at = excluded.received_at"
            " WHERE webhook_requests.received_at <= ? RETURNING 1",
            (endpoint_id, request_key, to_db(now), cutoff))
        return recorded is not None

    async def purge_seen(self, older_than: timedelta = timedelta(days=7)) -> int:
        """Forget old body fingerprints (ids are kept: a replayed id must never run again)."""
        result = await self._db.execute(
            "DELETE FROM webhook_requests WHERE request_key LIKE 'body:%' AND received_at < ?",
            (to_db(self._clock() - older_than),))
        return result.rowcount

    async def _by_id(self, endpoint_id: int) -> Endpoint | None:
        row = await self._db.fetch_one(f"SELECT {_COLUMNS} FROM webhook_endpoints WHERE id = ?", (endpoint_id,))
        return None if row is None else _endpoint(row)
