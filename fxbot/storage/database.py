"""The database gateway every repository talks to: one interface, a SQLite and a PostgreSQL implementation.

Repositories hold portable SQL with `?` placeholders and call `execute`, `execute_many`, `fetch_*` and
`transaction()` (and `insert_new` / `update_rows` for bursts of rows: set-based on PostgreSQL); the two
implementations (fxbot.storage.sqlite_database, fxbot.storage.postgres_database) keep the few dialect
differences to themselves (placeholders, DDL types, `tables_with_column`, `update_or_replace`, `skip_locked`,
change notifications). `Database.open(path_or_url)` (same as
fxbot.storage.open_database.open_database) picks one: a `postgresql://` URL opens PostgreSQL, anything else
is a SQLite file.

Contract, identical on both:
- Statements outside `transaction()` autocommit each on their own.
- `transaction()` commits on success and rolls back on any exception (cancellation too); nested use by the
  same task is a SAVEPOINT (an inner failure rolls back only the inner block). Statements the owning task
  runs inside join the transaction; other tasks never see its uncommitted rows. A task spawned inside a
  transaction is not part of it. SQLite serialises every statement (one writer), PostgreSQL runs other tasks'
  statements on other pooled connections at READ COMMITTED: read-modify-write code must use one UPDATE,
  `ON CONFLICT`, or `SELECT … FOR UPDATE` (`db.skip_locked` for queues), never read then write.
- A constraint violation raises UniqueViolation / IntegrityViolation (fxbot.storage.errors), and the failed
  statement changes nothing. On PostgreSQL a failed statement also aborts the enclosing transaction: catch
  it around a nested `transaction()` (a savepoint) when the work should go on.
- `notify(channel, payload)` is delivered after the current transaction commits (dropped if it rolls back),
  at once outside one; `listen(channel, callback)` registers a callback and returns an async `unlisten`.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol

from fxbot.storage.errors import IntegrityViolation, InvalidValue, MigrationError, SchemaTooNewError
from fxbot.storage.migrations import MIGRATIONS, SCHEMA_MIGRATIONS_DDL, Migration
from fxbot.storage.timestamps import Clock, to_db, utc_now

logger = logging.getLogger(__name__)

Params = Sequence[Any]
Dialect = Literal["sqlite", "postgresql"]
Listener = Callable[[str], None]
Unlisten = Callable[[], Awaitable[None]]

CHANNEL_PATTERN = re.compile(r"[a-z_]+")
MAX_PAYLOAD_BYTES = 7000
RECONNECT_PAYLOAD = "*reconnect*"
"""Told to every listener after its PostgreSQL listening connection was re-established: re-read everything."""

# kept here for the modules that import them from the gateway
FILE_MODE = 0o600
SIDE_FILE_SUFFIXES = ("-wal", "-shm")


class Row(Protocol):
    """A result row: `row["column"]`, `row[0]`, `tuple(row)` and `len(row)` work on both dialects."""

    def __getitem__(self, key: Any, /) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...

    def __len__(self) -> int: ...


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What a write statement did: rows changed, and (SQLite only) the rowid of the last insert.

    Portable code reads new ids with `INSERT … RETURNING id` through fetch_value instead of lastrowid."""

    rowcount: int
    lastrowid: int | None


class Database(ABC):
    """The gateway interface; see the module docstring for the contract both implementations keep."""

    dialect: ClassVar[Dialect]
    skip_locked: ClassVar[str]
    """Append to a `SELECT … ` that claims queue rows: " FOR UPDATE SKIP LOCKED" on PostgreSQL, "" on SQLite."""

    @classmethod
    async def open(
        cls,
        target: Path | str,
        *,
        migrations: Sequence[Migration] = MIGRATIONS,
        busy_timeout_ms: int = 5000,
        clock: Clock = utc_now,
        exclusive: bool = False,
        pool_size: int = 10,
    ) -> Database:
        """Open the database at a SQLite path or a `postgresql://` URL and apply every pending migration."""
        from fxbot.storage.open_database import open_database

        return await open_database(target, migrations=migrations, busy_timeout_ms=busy_timeout_ms, clock=clock,
                                   exclusive=exclusive, pool_size=pool_size)

    @property
    @abstractmethod
    def location(self) -> str:
        """Where the data lives, safe to show (a path, or a URL without its password)."""

    @abstractmethod
    async def close(self) -> None:
        """Close after any running transaction; safe to call twice."""

    @abstractmethod
    async def execute(self, sql: str, params: Params = ()) -> WriteResult:
        """Run one write statement (autocommitted unless inside transaction())."""

    @abstractmethod
    async def execute_many(self, sql: str, rows: Iterable[Params]) -> int:
        """Run one statement for each parameter row, atomically; returns rows changed."""

    @abstractmethod
    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """All rows of a query (columns by name or index)."""

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a query, or None."""
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None when there is no row."""
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]

    @abstractmethod
    async def insert_new(self, table: str, columns: Sequence[str], rows: Sequence[Params]) -> set[Any]:
        """Insert, atomically and in their order, the rows whose first column's value (a UNIQUE key, distinct
        among `rows`) is not stored yet; returns the keys that were (their rows left out). One set-based
        statement on PostgreSQL, an executemany on SQLite (fxbot.storage.row_batches)."""

    @abstractmethod
    async def update_rows(self, table: str, columns: Sequence[str], rows: Sequence[Params], *, key: str = "id",
                          guards: Sequence[tuple[str, str]] = ()) -> int:
        """Many single-row UPDATEs at once, atomically; returns rows changed. Each row holds the values of
        `columns`, then the `key` column's value, then one value per guard `(column, op)` ("=" or "<="): the row
        with that key is changed only where `stored column op value` holds. Keys should be distinct among `rows`
        (repeated ones are applied one after the other, in order)."""

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[None]:
        """Group statements atomically: commit on success, roll back on any exception; nested = SAVEPOINT."""

    @abstractmethod
    async def tables_with_column(self, column: str) -> list[str]:
        """Names of the user tables that have a column of this name (for chat-wide updates), sorted."""

    @abstractmethod
    async def update_or_replace(self, table: str, column: str, old: Any, new: Any) -> int:
        """`UPDATE table SET column = new WHERE column = old`, deleting first the rows a unique key would
        collide with (SQLite's UPDATE OR REPLACE: the moved row wins). Returns rows moved."""

    @abstractmethod
    async def notify(self, channel: str, payload: str = "") -> None:
        """Tell the channel's listeners after the current transaction commits (at once outside one)."""

    @abstractmethod
    async def listen(self, channel: str, callback: Listener) -> Unlisten:
        """Call `callback(payload)` for every notification on the channel; returns an async unlisten."""

    async def schema_version(self) -> int:
        """The highest migration version applied to this database (0 when none)."""
        value = await self.fetch_value("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        return int(value)

    # -- migrations (shared) -----------------------------------------------------------------

    _statement_errors: ClassVar[tuple[type[BaseException], ...]] = (sqlite3.Error, IntegrityViolation)

    def _migration_sql(self, sql: str) -> str:
        """The dialect's form of a migration's DDL (SQLite: as written)."""
        return sql

    async def _migrate(self, migrations: Sequence[Migration], clock: Clock) -> None:
        await self.execute(self._migration_sql(SCHEMA_MIGRATIONS_DDL))
        applied = {int(row[0]) for row in await self.fetch_all("SELECT version FROM schema_migrations")}
        newest_known = migrations[-1].version if migrations else 0
        current = max(applied, default=0)
        if current > newest_known:
            raise SchemaTooNewError(
                f"database {self.location} is at schema version {current} but this fxbot only knows "
                f"up to version {newest_known}: upgrade fxbot (or restore a backup made by this version)"
            )
        if applied != set(range(1, current + 1)):
            raise MigrationError(
                f"database {self.location} has an inconsistent migration history: {sorted(applied)}"
            )
        for migration in migrations:
            if migration.version in applied:
                continue
            await self._apply(migration, clock)

    async def _apply(self, migration: Migration, clock: Clock) -> None:
        try:
            async with self.transaction():
                for statement in split_statements(self._migration_sql(migration.sql)):
                    await self.execute(statement)
                await self.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, to_db(clock())),
                )
        except self._statement_errors as exc:
            raise MigrationError(
                f"migration {migration.version} ({migration.name}) failed and was rolled back: {exc}"
            ) from exc
        logger.info("applied database migration %d: %s", migration.version, migration.name)


def check_channel(channel: str, payload: str) -> None:
    """Refuse a channel name other than [a-z_]+ or a payload over 7000 bytes (PostgreSQL's NOTIFY limit)."""
    if not CHANNEL_PATTERN.fullmatch(channel):
        raise InvalidValue(f"notification channel {channel!r} must be lowercase letters and underscores")
    if len(payload.encode()) > MAX_PAYLOAD_BYTES:
        raise InvalidValue(f"notification payload is over {MAX_PAYLOAD_BYTES} bytes")


class ListenerSet:
    """The callbacks per channel, called one by one (a failing callback is logged, the others still run)."""

    def __init__(self) -> None:
        self._by_channel: dict[str, list[Listener]] = {}

    def add(self, channel: str, callback: Listener) -> bool:
        """Register; True when this is the channel's first listener."""
        callbacks = self._by_channel.setdefault(channel, [])
        callbacks.append(callback)
        return len(callbacks) == 1

    def remove(self, channel: str, callback: Listener) -> bool:
        """Unregister (once); True when the channel has no listener left."""
        callbacks = self._by_channel.get(channel, [])
        if callback in callbacks:
            callbacks.remove(callback)
        if not callbacks:
            self._by_channel.pop(channel, None)
            return True
        return False

    def channels(self) -> list[str]:
        return list(self._by_channel)

    def deliver(self, channel: str, payload: str) -> None:
        for callback in list(self._by_channel.get(channel, ())):
            try:
                callback(payload)
            except Exception:
                logger.exception("listener on channel %s failed", channel)

    def deliver_all(self, payload: str) -> None:
        for channel in self.channels():
            self.deliver(channel, payload)


def split_statements(script: str) -> list[str]:
    """Split an SQL script into complete statements (respects strings and trigger bodies)."""
    statements: list[str] = []
    buffer = ""
    *parts, last = script.split(";")
    for part in parts:
        buffer += part + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \t\r\n;"):
                statements.append(buffer.strip())
            buffer = ""
    rest = (buffer + last).strip()
    if rest:
        statements.append(rest)
    return statements


def check_migration_list(migrations: Sequence[Migration]) -> None:
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise ValueError(f"migrations must be numbered 1, 2, 3 … in order; got {versions}")

