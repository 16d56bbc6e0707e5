"""The one SQLite connection: WAL, foreign keys, a single serialised writer, migrations on open."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import stat
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from fxbot.storage.errors import (
    DatabaseClosedError,
    MigrationError,
    NotADatabaseError,
    SchemaTooNewError,
    StorageError,
)
from fxbot.storage.lock import DatabaseLock
from fxbot.storage.migrations import MIGRATIONS, SCHEMA_MIGRATIONS_DDL, Migration
from fxbot.storage.timestamps import Clock, to_db, utc_now

logger = logging.getLogger(__name__)

Params = Sequence[Any]

FILE_MODE = 0o600
"""The database and its -wal/-shm files hold encrypted keys, chat ids and the audit log: owner only."""
SIDE_FILE_SUFFIXES = ("-wal", "-shm")


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What a write statement did: rows changed and the rowid of the last insert."""

    rowcount: int
    lastrowid: int | None


class Database:
    """One aiosqlite connection shared by every repository.

    Every statement runs under one asyncio.Lock, so writes never interleave and a read never sees
    another task's half-done transaction. Inside `transaction()` the owning task may keep calling
    execute/fetch (they join the transaction); a task it spawns and awaits there would deadlock.
    """

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn: aiosqlite.Connection | None = conn
        self._path = path
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None
        self._tx_depth = 0
        self._file_lock: DatabaseLock | None = None

    def __repr__(self) -> str:
        state = "open" if self._conn is not None else "closed"
        return f"Database({str(self._path)!r}, {state})"

    @property
    def path(self) -> Path:
        return self._path

    @classmethod
    async def open(
        cls,
        path: Path,
        *,
        migrations: Sequence[Migration] = MIGRATIONS,
        busy_timeout_ms: int = 5000,
        clock: Clock = utc_now,
        exclusive: bool = False,
    ) -> Database:
        """Open (creating if needed) the database at path and apply every pending migration.

        The database's lock file is held shared while open (fxbot.storage.lock); `exclusive` (restore,
        rotate-secret) holds it alone and fails with DatabaseInUseError while anything else has it open."""
        _check_migration_list(migrations)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise NotADatabaseError(f"cannot create directory {path.parent}: {exc.strerror}") from None
        file_lock = DatabaseLock.acquire(path, exclusive=exclusive)
        try:
            _create_private(path)
            conn = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            file_lock.release()
            raise NotADatabaseError(f"cannot open database {path}: {exc}") from None
        except BaseException:
            file_lock.release()
            raise
        db = cls(conn, path)
        db._file_lock = file_lock
        try:
            await db._configure(busy_timeout_ms)
            restrict_files(path)  # -wal/-shm exist now (SQLite gives them the database file's mode)
            await db._migrate(migrations, clock)
        except BaseException:
            await db.close()
            raise
        return db

    async def close(self) -> None:
        """Close the connection after any running transaction; safe to call twice."""
        if self._conn is None:
            return
        if self._owner is not None and self._owner is asyncio.current_task():
            raise StorageError("cannot close the database from inside one of its transactions")
        async with self._lock:
            conn, self._conn = self._conn, None
            try:
                if conn is not None:
                    await conn.close()
            finally:
                if self._file_lock is not None:
                    self._file_lock.release()

    # -- statements -------------------------------------------------------------------------

    async def execute(self, sql: str, params: Params = ()) -> WriteResult:
        """Run one write statement (autocommitted unless inside transaction())."""
        async with self._locked() as conn:
            cursor = await conn.execute(sql, params)
            try:
                return WriteResult(rowcount=cursor.rowcount, lastrowid=cursor.lastrowid)
            finally:
                await cursor.close()

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> int:
        """Run one statement for each parameter row, atomically; returns rows changed."""
        async with self.transaction(), self._locked() as conn:
            cursor = await conn.executemany(sql, rows)
            try:
                return cursor.rowcount
            finally:
                await cursor.close()

    async def fetch_all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """All rows of a query (columns by name or index)."""
        async with self._locked() as conn:
            rows = await conn.execute_fetchall(sql, params)
            return list(rows)

    async def fetch_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """The first row of a query, or None."""
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None when there is no row."""
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """Group statements atomically: commit on success, roll back on any exception.

        Nested use by the same task becomes a SAVEPOINT, so repositories can open their own
        transaction inside a caller's.
        """
        task = asyncio.current_task()
        if self._owner is not None and self._owner is task and self._tx_depth > 0:
            async with self._savepoint():
                yield
            return
        async with self._lock:
            conn = self._require_open()
            self._owner = task
            try:
                if conn.in_transaction:
                    logger.warning("rolling back a transaction left open by an interrupted task")
                    await conn.execute("ROLLBACK")
                await conn.execute("BEGIN IMMEDIATE")
                self._tx_depth = 1
                try:
                    yield
                except BaseException:
                    await asyncio.shield(_finish(conn, "ROLLBACK"))
                    raise
                try:
                    await asyncio.shield(_finish(conn, "COMMIT"))
                except sqlite3.Error:
                    await asyncio.shield(_finish(conn, "ROLLBACK"))
                    raise
            finally:
                self._tx_depth = 0
                self._owner = None

    async def schema_version(self) -> int:
        """The highest migration version applied to this database (0 when none)."""
        value = await self.fetch_value("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        return int(value)

    async def tables_with_column(self, column: str) -> list[str]:
        """Names of the user tables that have a column of this name (for chat-wide updates)."""
        tables = await self.fetch_all(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
        found: list[str] = []
        for (table,) in tables:
            columns = await self.fetch_all("SELECT name FROM pragma_table_info(?)", (table,))
            if any(col[0] == column for col in columns):
                found.append(str(table))
        return found

    # -- internals --------------------------------------------------------------------------

    def _require_open(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise DatabaseClosedError(f"database {self._path} is closed")
        return self._conn

    @asynccontextmanager
    async def _locked(self) -> AsyncIterator[aiosqlite.Connection]:
        task = asyncio.current_task()
        if self._owner is not None and self._owner is task:
            yield self._require_open()
            return
        async with self._lock:
            self._owner = task
            try:
                yield self._require_open()
            finally:
                self._owner = None

    @asynccontextmanager
    async def _savepoint(self) -> AsyncIterator[None]:
        conn = self._require_open()
        name = f"fxbot_sp{self._tx_depth}"
        await conn.execute(f"SAVEPOINT {name}")
        self._tx_depth += 1
        try:
            yield
        except BaseException:
            await asyncio.shield(_finish(conn, f"ROLLBACK TO {name}"))
            await asyncio.shield(_finish(conn, f"RELEASE {name}"))
            raise
        else:
            await conn.execute(f"RELEASE {name}")
        finally:
            self._tx_depth -= 1

    async def _configure(self, busy_timeout_ms: int) -> None:
        conn = self._require_open()
        conn.row_factory = sqlite3.Row
        try:
            await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            mode = await self.fetch_value("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA synchronous = NORMAL")
            fk = await self.fetch_value("PRAGMA foreign_keys")
        except sqlite3.DatabaseError as exc:
            raise NotADatabaseError(f"{self._path} is not a usable SQLite database: {exc}") from None
        if str(mode).lower() != "wal":
            logger.warning("database %s is in journal mode %s, not WAL", self._path, mode)
        if fk != 1:
            raise StorageError("this SQLite build does not support foreign keys")

    async def _migrate(self, migrations: Sequence[Migration], clock: Clock) -> None:
        await self.execute(SCHEMA_MIGRATIONS_DDL)
        applied = {int(row[0]) for row in await self.fetch_all("SELECT version FROM schema_migrations")}
        newest_known = migrations[-1].version if migrations else 0
        current = max(applied, default=0)
        if current > newest_known:
            raise SchemaTooNewError(
                f"database {self._path} is at schema version {current} but this fxbot only knows "
                f"up to version {newest_known}: upgrade fxbot (or restore a backup made by this version)"
            )
        if applied != set(range(1, current + 1)):
            raise MigrationError(
                f"database {self._path} has an inconsistent migration history: {sorted(applied)}"
            )
        for migration in migrations:
            if migration.version in applied:
                continue
            await self._apply(migration, clock)

    async def _apply(self, migration: Migration, clock: Clock) -> None:
        try:
            async with self.transaction():
                for statement in split_statements(migration.sql):
                    await self.execute(statement)
                await self.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, to_db(clock())),
                )
        except sqlite3.Error as exc:
            raise MigrationError(
                f"migration {migration.version} ({migration.name}) failed and was rolled back: {exc}"
            ) from exc
        logger.info("applied database migration %d: %s", migration.version, migration.name)


def _create_private(path: Path) -> None:
    """Create the database file owner-only before SQLite opens it; restrict an existing one (and its side files).

    SQLite creates -wal and -shm with the mode of the database file, so they end up 0600 as well. No umask
    change: it is process-wide and other threads may be creating files meanwhile."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    except OSError as exc:
        raise NotADatabaseError(f"cannot open database {path}: {exc.strerror}") from None
    os.close(fd)
    restrict_files(path)


def restrict_files(path: Path) -> None:
    """Make the database file and its -wal/-shm files owner-only (0600) where they are more open."""
    for file in (path, *(path.with_name(path.name + suffix) for suffix in SIDE_FILE_SUFFIXES)):
        try:
            mode = stat.S_IMODE(file.stat().st_mode)
            if mode & ~FILE_MODE:
                os.chmod(file, FILE_MODE)
        except FileNotFoundError:
            continue
        except OSError as exc:  # not our file (another owner): SQLite still works, say so once
            logger.warning("could not restrict %s to mode 0600 (%s); run: chmod 600 %s", file, exc.strerror, file)


async def _finish(conn: aiosqlite.Connection, statement: str) -> None:
    await conn.execute(statement)


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


def _check_migration_list(migrations: Sequence[Migration]) -> None:
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise ValueError(f"migrations must be numbered 1, 2, 3 … in order; got {versions}")
