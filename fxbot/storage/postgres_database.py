"""The PostgreSQL gateway: an asyncpg pool, task-bound transactions, LISTEN/NOTIFY, migrations under a lock.

- Statements outside a transaction each take a pooled connection (autocommit).
- `transaction()` takes a pooled connection and binds it to the calling task through a context variable:
  the task's statements run on it; nested `transaction()` is a SAVEPOINT. Tasks spawned inside do not join
  (they see the variable but are not its owner task, so they take their own connection). READ COMMITTED.
- `listen` uses one dedicated connection (fxbot.storage.postgres_listener), re-established if it drops, when
  every callback is told RECONNECT_PAYLOAD ("*reconnect*"): notifications may have been missed, re-read.
- Migrations run under a session advisory lock, so processes starting together apply them once.
- `insert_new` / `update_rows` send a burst of rows as one statement (fxbot.storage.postgres_row_sets).
SQL is translated by fxbot.storage.postgres_sql (placeholders, SQLite-only forms, DDL types).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar, cast

import asyncpg

from fxbot.storage.database import (
    Database,
    Dialect,
    Listener,
    Params,
    Row,
    Unlisten,
    WriteResult,
    check_channel,
    check_migration_list,
)
from fxbot.storage.errors import (
    DatabaseClosedError,
    DatabaseUnavailableError,
    IntegrityViolation,
    NotADatabaseError,
    StorageError,
    UniqueViolation,
)
from fxbot.storage.migrations import MIGRATIONS, Migration
from fxbot.storage.postgres_listener import PostgresListener
from fxbot.storage.postgres_row_sets import PostgresRowSets
from fxbot.storage.postgres_sql import migration_ddl, redact_url, row_count, to_postgres
from fxbot.storage.timestamps import Clock, utc_now

logger = logging.getLogger(__name__)

MIGRATION_LOCK_ID = 0x6678626F74  # "fxbot": the advisory lock held while migrating
APPLICATION_NAME = "fxbot"  # shown in pg_stat_activity
STATEMENT_CACHE_SIZE = 1024

_UNIQUE_KEYS_SQL = (
    "SELECT (SELECT array_agg(a.attname::text ORDER BY k.ord)"
    " FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)"
    " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum) AS cols,"
    " pg_get_expr(i.indpred, i.indrelid) AS pred"
    " FROM pg_index i WHERE i.indrelid = to_regclass(?) AND i.indisunique"
)


@dataclass(slots=True)
class _BoundTransaction:
    conn: asyncpg.Connection
    owner: asyncio.Task[Any] | None


class PostgresDatabase(Database):
    """An asyncpg pool behind the gateway interface; see the module docstring."""

    dialect: ClassVar[Dialect] = "postgresql"
    skip_locked: ClassVar[str] = " FOR UPDATE SKIP LOCKED"
    _statement_errors: ClassVar[tuple[type[BaseException], ...]] = (asyncpg.PostgresError, IntegrityViolation)

    def __init__(self, pool: asyncpg.Pool, url: str) -> None:
        self._pool: asyncpg.Pool | None = pool
        self._url = url
        self._tx: contextvars.ContextVar[_BoundTransaction | None] = contextvars.ContextVar(
            f"fxbot_pg_tx_{id(self)}", default=None)
        self._listener = PostgresListener(url)
        self._row_sets = PostgresRowSets(self)

    def __repr__(self) -> str:
        state = "open" if self._pool is not None else "closed"
        return f"PostgresDatabase({self.location!r}, {state})"

    @property
    def location(self) -> str:
        return redact_url(self._url)

    @classmethod
    async def connect(
        cls,
        url: str,
        *,
        migrations: Sequence[Migration] = MIGRATIONS,
        clock: Clock = utc_now,
        pool_size: int = 10,
        application_name: str = APPLICATION_NAME,
    ) -> PostgresDatabase:
        """Connect a pool to the database at url and apply every pending migration (under the advisory lock);
        its connections show `application_name` in pg_stat_activity."""
        check_migration_list(migrations)
        try:
            pool = await asyncpg.create_pool(dsn=url, min_size=1, max_size=max(2, pool_size),
                                             statement_cache_size=STATEMENT_CACHE_SIZE,
                                             server_settings={"application_name": application_name})
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, ValueError) as exc:
            raise NotADatabaseError(f"cannot connect to PostgreSQL at {redact_url(url)}: {exc}") from None
        db = cls(pool, url)
        try:
            async with pool.acquire() as lock_conn:
                await lock_conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_ID)
                try:
                    await db._migrate(migrations, clock)
                finally:
                    await asyncio.shield(lock_conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_ID))
        except BaseException:
            await db.close()
            raise
        return db

    async def close(self) -> None:
        """Stop listening and close the pool (waits for connections in use); safe to call twice."""
        if self._pool is None:
            return
        bound = self._tx.get()
        if bound is not None and bound.owner is asyncio.current_task():
            raise StorageError("cannot close the database from inside one of its transactions")
        await self._listener.close()
        pool, self._pool = self._pool, None
        await pool.close()

    # -- statements -------------------------------------------------------------------------

    async def execute(self, sql: str, params: Params = ()) -> WriteResult:
        async with self._connection() as conn:
            with _errors():
                status = await conn.execute(to_postgres(sql), *params)
        return WriteResult(rowcount=row_count(status), lastrowid=None)

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> int:
        batch = [tuple(row) for row in rows]
        if not batch:
            return 0
        async with self.transaction(), self._connection() as conn:
            with _errors():
                returned = await conn.fetchmany(_counting(sql), batch)
        return len(returned)

    async def insert_new(self, table: str, columns: Sequence[str], rows: Sequence[Params]) -> set[Any]:
        return await self._row_sets.insert_new(table, columns, rows)

    async def update_rows(self, table: str, columns: Sequence[str], rows: Sequence[Params], *, key: str = "id",
                          guards: Sequence[tuple[str, str]] = ()) -> int:
        return await self._row_sets.update_rows(table, columns, rows, key=key, guards=guards)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._connection() as conn:
            with _errors():
                rows = await conn.fetch(to_postgres(sql), *params)
        return cast(list[Row], rows)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        bound = self._tx.get()
        if bound is not None and bound.owner is task:
            savepoint = bound.conn.transaction()
            await savepoint.start()
            try:
                yield
            except BaseException:
                await asyncio.shield(savepoint.rollback())
                raise
            with _errors():
                await savepoint.commit()
            return
        pool = self._require_open()
        with _errors():
            conn = await pool.acquire()
        try:
            outer = conn.transaction()
            with _errors():
                await outer.start()
        except BaseException:
            await asyncio.shield(pool.release(conn))
            raise
        token = self._tx.set(_BoundTransaction(conn, task))
        try:
            yield
        except BaseException:
            self._tx.reset(token)
            await asyncio.shield(_end(pool, conn, outer, commit=False))
            raise
        self._tx.reset(token)
        with _errors():
            await asyncio.shield(_end(pool, conn, outer, commit=True))

    async def tables_with_column(self, column: str) -> list[str]:
        rows = await self.fetch_all(
            "SELECT table_name::text FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND column_name = ? ORDER BY table_name", (column,))
        return [str(row[0]) for row in rows]

    async def update_or_replace(self, table: str, column: str, old: Any, new: Any) -> int:
        async with self.transaction():
            for key in await self.fetch_all(_UNIQUE_KEYS_SQL, (table,)):
                columns, predicate = list(key[0] or ()), key[1]
                if column not in columns:
                    continue
                where = f" AND ({predicate})" if predicate else ""
                same = "".join(f' AND o."{c}" = n."{c}"' for c in columns if c != column)
                await self.execute(
                    f'DELETE FROM "{table}" AS n WHERE n."{column}" = ?{where} AND EXISTS'
                    f' (SELECT 1 FROM "{table}" AS o WHERE o."{column}" = ?{where}{same})', (new, old))
            result = await self.execute(f'UPDATE "{table}" SET "{column}" = ? WHERE "{column}" = ?', (new, old))
        return result.rowcount

    # -- notifications ----------------------------------------------------------------------

    async def notify(self, channel: str, payload: str = "") -> None:
        check_channel(channel, payload)
        await self.execute("SELECT pg_notify(?, ?)", (channel, payload))

    async def listen(self, channel: str, callback: Listener) -> Unlisten:
        check_channel(channel, "")
        self._require_open()
        return await self._listener.listen(channel, callback)

    # -- internals --------------------------------------------------------------------------

    def _require_open(self) -> asyncpg.Pool:
        if self._pool is None:
            raise DatabaseClosedError(f"database {self.location} is closed")
        return self._pool

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        bound = self._tx.get()
        if bound is not None and bound.owner is asyncio.current_task():
            yield bound.conn
            return
        pool = self._require_open()
        with _errors():
            conn = await pool.acquire()
        try:
            yield conn
        finally:
            await asyncio.shield(pool.release(conn))

    def _migration_sql(self, sql: str) -> str:
        return migration_ddl(sql)


async def _end(pool: asyncpg.Pool, conn: asyncpg.Connection, transaction: Any, *, commit: bool) -> None:
    """Commit (rolling back if that fails) or roll back, then give the connection back to the pool."""
    try:
        if commit:
            try:
                await transaction.commit()
            except BaseException:
                if not conn.is_closed() and conn.is_in_transaction():
                    await transaction.rollback()
                raise
        else:
            try:
                await transaction.rollback()
            except Exception as exc:  # the error that made us roll back is the one to raise
                logger.warning("rollback failed (%s); the pool resets or replaces the connection", exc)
    finally:
        await pool.release(conn)


@lru_cache(maxsize=512)
def _counting(sql: str) -> str:
    """The statement for execute_many, returning one row per row it changed (so they can be counted)."""
    translated = to_postgres(sql)
    if "RETURNING" in translated.upper():
        return translated
    return translated.rstrip().rstrip(";") + " RETURNING 1"


_UNAVAILABLE = (OSError, asyncpg.PostgresConnectionError, asyncpg.exceptions.OperatorInterventionError,
                asyncpg.exceptions.InsufficientResourcesError)


@contextmanager
def _errors() -> Iterator[None]:
    """asyncpg's constraint errors as the gateway's UniqueViolation / IntegrityViolation; an unreachable or
    lost server as DatabaseUnavailableError."""
    try:
        yield
    except asyncpg.UniqueViolationError as exc:
        raise UniqueViolation(str(exc)) from exc
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise IntegrityViolation(str(exc)) from exc
    except _UNAVAILABLE as exc:
        raise DatabaseUnavailableError(f"the PostgreSQL server is unavailable: {exc}") from exc
