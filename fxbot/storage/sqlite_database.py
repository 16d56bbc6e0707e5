"""The SQLite gateway: one aiosqlite connection, WAL, foreign keys, a single serialised writer, migrations on open."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, ClassVar, cast

import aiosqlite

from fxbot.storage.database import (
    Database,
    Dialect,
    Listener,
    ListenerSet,
    Params,
    Row,
    Unlisten,
    WriteResult,
    check_channel,
    check_migration_list,
)
from fxbot.storage.errors import (
    DatabaseClosedError,
    NotADatabaseError,
    StorageError,
)
from fxbot.storage.lock import DatabaseLock
from fxbot.storage.migrations import MIGRATIONS, Migration
from fxbot.storage.row_batches import insert_new_rows, update_rows_one_by_one
from fxbot.storage.sqlite_files import create_private, restrict_files
from fxbot.storage.sqlite_statements import begin, finish, integrity_errors
from fxbot.storage.timestamps import Clock, utc_now
from fxbot.storage.wal_checkpointer import BACKSTOP_AUTOCHECKPOINT_PAGES, WalCheckpointer

logger = logging.getLogger(__name__)

MIN_SQLITE_VERSION = (3, 35, 0)
"""INSERT … RETURNING (new ids on both dialects); the alert cold load's fast path wants 3.38 (else lean rows)."""


class SqliteDatabase(Database):
    """One aiosqlite connection shared by every repository.

    Every statement runs under one asyncio.Lock, so writes never interleave and a read never sees
    another task's half-done transaction. Inside `transaction()` the owning task may keep calling
    execute/fetch (they join the transaction); a task it spawns and awaits there would deadlock.
    Notifications go to this object's listeners in this process only.
    """

    dialect: ClassVar[Dialect] = "sqlite"
    skip_locked: ClassVar[str] = ""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn: aiosqlite.Connection | None = conn
        self._path = path
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None
        self._tx_depth = 0
        self._file_lock: DatabaseLock | None = None
        self._listeners = ListenerSet()
        self._pending: list[tuple[str, str]] = []
        self._checkpointer: WalCheckpointer | None = None

    def __repr__(self) -> str:
        state = "open" if self._conn is not None else "closed"
        return f"SqliteDatabase({str(self._path)!r}, {state})"

    @property
    def path(self) -> Path:
        return self._path

    @property
    def location(self) -> str:
        return str(self._path)

    @classmethod
    async def open_file(
        cls,
        path: Path,
        *,
        migrations: Sequence[Migration] = MIGRATIONS,
        busy_timeout_ms: int = 5000,
        clock: Clock = utc_now,
        exclusive: bool = False,
    ) -> SqliteDatabase:
        """Open (creating if needed) the database at path and apply every pending migration.

        The database's lock file is held shared while open (fxbot.storage.lock); `exclusive` (restore,
        rotate-secret) holds it alone and fails with DatabaseInUseError while anything else has it open."""
        check_migration_list(migrations)
        if sqlite3.sqlite_version_info < MIN_SQLITE_VERSION:
            raise StorageError(f"fxbot needs SQLite {'.'.join(map(str, MIN_SQLITE_VERSION))} or newer"
                               f" (INSERT … RETURNING); this Python has SQLite {sqlite3.sqlite_version}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise NotADatabaseError(f"cannot create directory {path.parent}: {exc.strerror}") from None
        file_lock = DatabaseLock.acquire(path, exclusive=exclusive)
        try:
            create_private(path)
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
            await db._checkpoint_in_background()
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
        checkpointer, self._checkpointer = self._checkpointer, None
        if checkpointer is not None:
            await checkpointer.close()
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
            with integrity_errors():
                cursor = await conn.execute(sql, params)
            try:
                return WriteResult(rowcount=cursor.rowcount, lastrowid=cursor.lastrowid)
            finally:
                await cursor.close()

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> int:
        """Run one statement for each parameter row, atomically; returns rows changed."""
        async with self.transaction(), self._locked() as conn:
            with integrity_errors():
                cursor = await conn.executemany(sql, rows)
            try:
                return cursor.rowcount
            finally:
                await cursor.close()

    async def insert_new(self, table: str, columns: Sequence[str], rows: Sequence[Params]) -> set[Any]:
        return await insert_new_rows(self, table, columns, rows)

    async def update_rows(self, table: str, columns: Sequence[str], rows: Sequence[Params], *, key: str = "id",
                          guards: Sequence[tuple[str, str]] = ()) -> int:
        return await update_rows_one_by_one(self, table, columns, rows, key=key, guards=guards)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """All rows of a query (columns by name or index)."""
        async with self._locked() as conn:
            with integrity_errors():
                rows = await conn.execute_fetchall(sql, params)
            return cast(list[Row], list(rows))

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
            self._pending = []
            try:
                if conn.in_transaction:
                    logger.warning("rolling back a transaction left open by an interrupted task")
                    await conn.execute("ROLLBACK")
                await begin(conn)
                self._tx_depth = 1
                try:
                    yield
                except BaseException:
                    await asyncio.shield(finish(conn, "ROLLBACK"))
                    raise
                try:
                    with integrity_errors():
                        await asyncio.shield(finish(conn, "COMMIT"))
                except (sqlite3.Error, StorageError):
                    await asyncio.shield(finish(conn, "ROLLBACK"))
                    raise
                committed, self._pending = self._pending, []
                for channel, payload in committed:
                    self._listeners.deliver(channel, payload)
            finally:
                self._pending = []
                self._tx_depth = 0
                self._owner = None

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

    async def update_or_replace(self, table: str, column: str, old: Any, new: Any) -> int:
        result = await self.execute(f'UPDATE OR REPLACE "{table}" SET "{column}" = ? WHERE "{column}" = ?',
                                    (new, old))
        return result.rowcount

    async def notify(self, channel: str, payload: str = "") -> None:
        check_channel(channel, payload)
        if self._owner is not None and self._owner is asyncio.current_task() and self._tx_depth > 0:
            self._pending.append((channel, payload))
        else:
            self._listeners.deliver(channel, payload)

    async def listen(self, channel: str, callback: Listener) -> Unlisten:
        check_channel(channel, "")
        self._listeners.add(channel, callback)

        async def unlisten() -> None:
            self._listeners.remove(channel, callback)

        return unlisten

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
        pending = len(self._pending)
        try:
            yield
        except BaseException:
            del self._pending[pending:]  # notifications of the rolled-back part are dropped, as on PostgreSQL
            await asyncio.shield(finish(conn, f"ROLLBACK TO {name}"))
            await asyncio.shield(finish(conn, f"RELEASE {name}"))
            raise
        else:
            await conn.execute(f"RELEASE {name}")
        finally:
            self._tx_depth -= 1

    async def _checkpoint_in_background(self) -> None:
        """Move the WAL's checkpoints to a WalCheckpointer (a connection and thread of their own); the gateway's
        connection keeps a far-off auto-checkpoint as a backstop. Without WAL there is nothing to checkpoint."""
        conn = self._require_open()
        if str(await self.fetch_value("PRAGMA journal_mode")).lower() != "wal":
            return
        self._checkpointer = WalCheckpointer.open(self._path)
        await conn.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP_AUTOCHECKPOINT_PAGES}")
        self._checkpointer.start()

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
