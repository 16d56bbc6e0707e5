"""The gateway contract on both backends: transactions, savepoints, errors, notifications, dialect shims."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from fxbot.domain.access import Role, Scope
from fxbot.storage import (
    MIGRATIONS,
    Database,
    IntegrityViolation,
    InvalidValue,
    Migration,
    SchemaTooNewError,
    Storage,
    UniqueViolation,
    open_database,
)
from fxbot.storage.database import RECONNECT_PAYLOAD
from tests.postgres_server import PostgresServer, postgres_or_none

WAIT_S = 10.0


class Inbox:
    """Collects notification payloads; `wait_for(n)` waits (event-driven) until n have arrived."""

    def __init__(self) -> None:
        self.payloads: list[str] = []
        self._changed = asyncio.Event()

    def __call__(self, payload: str) -> None:
        self.payloads.append(payload)
        self._changed.set()

    async def wait_for(self, count: int) -> list[str]:
        async with asyncio.timeout(WAIT_S):
            while len(self.payloads) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.payloads


async def _values(db: Database) -> list[int]:
    return [int(r[0]) for r in await db.fetch_all("SELECT v FROM t ORDER BY v")]


async def test_transaction_commits_or_rolls_back_as_a_whole(database: Database) -> None:
    db = database
    await db.execute("CREATE TABLE t (v INTEGER UNIQUE)")
    async with db.transaction():
        await db.execute("INSERT INTO t VALUES (?)", (1,))
        await db.execute("INSERT INTO t VALUES (?)", (2,))
    with pytest.raises(UniqueViolation):
        async with db.transaction():
            await db.execute("INSERT INTO t VALUES (3)")
            await db.execute("INSERT INTO t VALUES (1)")
    assert await _values(db) == [1, 2]
    async with db.transaction():  # nested -> savepoint; inner failure keeps outer work
        await db.execute("INSERT INTO t VALUES (10)")
        with pytest.raises(RuntimeError):
            async with db.transaction():
                await db.execute("INSERT INTO t VALUES (11)")
                raise RuntimeError("inner")
        with pytest.raises(UniqueViolation):
            async with db.transaction():
                await db.execute("INSERT INTO t VALUES (1)")
        await db.execute("INSERT INTO t VALUES (12)")
    assert await _values(db) == [1, 2, 10, 12]
    assert await db.execute_many("INSERT INTO t VALUES (?)", [(20,), (21,)]) == 2
    assert await db.execute_many("UPDATE t SET v = v + 100 WHERE v = ?", [(20,), (99,), (21,)]) == 2
    assert await db.execute_many("INSERT INTO t VALUES (?)", []) == 0
    with pytest.raises(UniqueViolation):  # atomic: the first row is not kept either
        await db.execute_many("INSERT INTO t VALUES (?)", [(30,), (1,)])
    assert await _values(db) == [1, 2, 10, 12, 120, 121]


_AUDIT = ("INSERT INTO audit_log (at, chat_id, user_id, command, ok, result, latency_ms)"
          " VALUES ('2025-01-01T00:00:00.000000+00:00', 'c', 'u', '/x', 1, 'ok', ?) RETURNING id")


async def test_rows_read_by_name_index_and_as_tuple(database: Database) -> None:
    """Migrated columns keep SQLite's ranges on PostgreSQL: REAL is a double, BLOB is bytes."""
    await database.execute("INSERT INTO storage_meta (name, value) VALUES (?, ?)", ("k", b"\x00\x01"))
    await database.fetch_value(_AUDIT, (1.1,))
    row = await database.fetch_one("SELECT id, command, latency_ms, ok FROM audit_log")
    assert row is not None
    assert (row["id"], row[1], len(row)) == (1, "/x", 4)
    assert tuple(row) == (1, "/x", 1.1, 1)
    assert await database.fetch_value("SELECT value FROM storage_meta WHERE name = ?", ("k",)) == b"\x00\x01"
    assert await database.fetch_value("SELECT command FROM audit_log WHERE id = ?", (2,)) is None
    assert await database.fetch_one("SELECT id FROM audit_log WHERE id = ?", (2,)) is None


async def test_insert_returning_gives_the_new_id(database: Database) -> None:
    assert [await database.fetch_value(_AUDIT, (0.5,)) for _ in range(3)] == [1, 2, 3]


async def test_constraint_errors_are_gateway_errors_and_change_nothing(database: Database) -> None:
    await database.execute("CREATE TABLE c (v INTEGER NOT NULL CHECK (v > 0))")
    with pytest.raises(IntegrityViolation) as raised:
        await database.execute("INSERT INTO c VALUES (?)", (-1,))
    assert not isinstance(raised.value, UniqueViolation)
    with pytest.raises(IntegrityViolation):
        await database.execute("INSERT INTO c VALUES (NULL)")
    assert await database.fetch_value("SELECT COUNT(*) FROM c") == 0


async def test_other_tasks_never_see_an_open_transaction(database: Database) -> None:
    await database.execute("CREATE TABLE t (v INTEGER)")
    inside, release = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        async with database.transaction():
            await database.execute("INSERT INTO t VALUES (1)")
            inside.set()
            await release.wait()
            raise RuntimeError("abort")

    task = asyncio.create_task(writer())
    await inside.wait()
    reader = asyncio.create_task(database.fetch_value("SELECT COUNT(*) FROM t"))
    if database.dialect == "postgresql":
        assert await reader == 0  # another pooled connection: reads what is committed, without waiting
    release.set()
    with pytest.raises(RuntimeError):
        await task
    assert await reader == 0
    assert await database.fetch_value("SELECT COUNT(*) FROM t") == 0


async def test_a_task_spawned_inside_a_transaction_is_not_part_of_it(postgres_url: str) -> None:
    db = await open_database(postgres_url)
    try:
        await db.execute("CREATE TABLE t (v INTEGER)")
        async with db.transaction():
            await db.execute("INSERT INTO t VALUES (1)")
            outside = await asyncio.create_task(db.fetch_value("SELECT COUNT(*) FROM t"))
            assert outside == 0  # its own connection: the uncommitted row is not visible
            assert await db.fetch_value("SELECT COUNT(*) FROM t") == 1
        assert await db.fetch_value("SELECT COUNT(*) FROM t") == 1
    finally:
        await db.close()


async def test_cancelled_transaction_rolls_back_and_database_stays_usable(database: Database) -> None:
    await database.execute("CREATE TABLE t (v INTEGER)")
    inside = asyncio.Event()

    async def writer() -> None:
        async with database.transaction():
            await database.execute("INSERT INTO t VALUES (1)")
            inside.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(writer())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await database.fetch_value("SELECT COUNT(*) FROM t") == 0
    async with database.transaction():
        await database.execute("INSERT INTO t VALUES (2)")
    assert await database.fetch_value("SELECT COUNT(*) FROM t") == 1


async def test_concurrent_transactions_all_commit(database: Database) -> None:
    await database.execute("CREATE TABLE t (v INTEGER)")

    async def one(i: int) -> None:
        async with database.transaction():
            await database.execute("INSERT INTO t VALUES (?)", (i,))
            async with database.transaction():
                await database.execute("INSERT INTO t VALUES (?)", (1000 + i,))

    await asyncio.gather(*(one(i) for i in range(40)))
    assert await database.fetch_value("SELECT COUNT(*) FROM t") == 80


async def test_notifications_arrive_after_commit_and_never_after_rollback(database: Database) -> None:
    inbox, other = Inbox(), Inbox()
    unlisten = await database.listen("rules", inbox)
    await database.listen("other_channel", other)
    await database.notify("rules", "outside")
    await inbox.wait_for(1)
    async with database.transaction():
        await database.notify("rules", "committed")
        with pytest.raises(RuntimeError):
            async with database.transaction():
                await database.notify("rules", "inner rolled back")
                raise RuntimeError("inner")
        assert inbox.payloads == ["outside"]  # nothing before the commit
    with pytest.raises(RuntimeError):
        async with database.transaction():
            await database.notify("rules", "rolled back")
            raise RuntimeError("abort")
    await database.notify("rules", "last")
    assert await inbox.wait_for(3) == ["outside", "committed", "last"]
    await unlisten()
    await database.notify("rules", "after unlisten")
    await database.notify("other_channel", "x")
    await other.wait_for(1)  # delivered in order on one connection: "after unlisten" went nowhere
    assert inbox.payloads == ["outside", "committed", "last"]


@pytest.mark.parametrize(("channel", "payload"), [("Bad-Name", ""), ("rules", "x" * 7001), ("", "")])
async def test_bad_channel_or_payload_is_refused(database: Database, channel: str, payload: str) -> None:
    with pytest.raises(InvalidValue):
        await database.notify(channel, payload)


async def test_two_databases_on_postgres_notify_each_other(postgres_url: str) -> None:
    sender, receiver = await open_database(postgres_url), await open_database(postgres_url)
    try:
        inbox = Inbox()
        await receiver.listen("alert_rules", inbox)
        await sender.notify("alert_rules", "42")
        assert await inbox.wait_for(1) == ["42"]
    finally:
        await sender.close()
        await receiver.close()


async def test_listener_reconnects_and_says_so(postgres_url: str) -> None:
    db = await open_database(postgres_url)
    try:
        inbox = Inbox()
        await db.listen("outbox", inbox)
        await db.notify("outbox", "before")
        await inbox.wait_for(1)
        killed = await db.fetch_value(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = 'fxbot listen'")
        assert killed == 1
        assert (await inbox.wait_for(2))[1] == RECONNECT_PAYLOAD
        await db.notify("outbox", "after")
        assert await inbox.wait_for(3) == ["before", RECONNECT_PAYLOAD, "after"]
    finally:
        await db.close()


async def test_dialect_helpers(database: Database) -> None:
    assert database.dialect in ("sqlite", "postgresql")
    assert database.skip_locked == (" FOR UPDATE SKIP LOCKED" if database.dialect == "postgresql" else "")
    tables = await database.tables_with_column("chat_id")
    assert {"chat_bindings", "chat_members", "notify_outbox"} <= set(tables)
    assert "api_keys" not in tables and tables == sorted(tables)


async def test_update_or_replace_lets_the_moved_row_win(database: Database) -> None:
    await database.execute("CREATE TABLE m (chat_id TEXT NOT NULL, user_id TEXT NOT NULL, role TEXT,"
                           " name TEXT, revoked INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (chat_id, user_id))")
    await database.execute("CREATE UNIQUE INDEX m_live_name ON m (chat_id, name) WHERE revoked = 0")
    rows = [("old", "u1", "admin", "a", 0), ("old", "u2", "viewer", "b", 0),
            ("new", "u1", "viewer", "z", 0), ("new", "u3", "viewer", "b", 0), ("new", "u4", "viewer", "b", 1)]
    await database.execute_many("INSERT INTO m VALUES (?, ?, ?, ?, ?)", rows)
    moved = await database.update_or_replace("m", "chat_id", "old", "new")
    assert moved == 2
    got = [tuple(r) for r in await database.fetch_all("SELECT user_id, role, name, revoked FROM m ORDER BY user_id")]
    # u1 (same key) and u3 (same live name) gave way to the moved rows; u4's name clash is revoked: it stays
    assert got == [("u1", "admin", "a", 0), ("u2", "viewer", "b", 0), ("u4", "viewer", "b", 1)]


async def test_move_chat_on_both(tmp_path: Path, database_url: str) -> None:
    async with await Storage.open(tmp_path / "fxbot.db", {}, url=postgres_or_none(database_url)) as storage:
        key = await storage.keys.add("telegram:1", "main", "sk_test_move_chat_0123456789", Scope.TRADE)
        await storage.bindings.bind("telegram:-1", key.id, "telegram:1")
        await storage.members.set_role("telegram:-1", "telegram:1", Role.ADMIN, "Ann")
        await storage.members.set_role("telegram:-100", "telegram:1", Role.VIEWER, "Ann")
        assert await storage.move_chat("telegram:-1", "telegram:-100") == 2
        assert (await storage.bindings.get("telegram:-100")) is not None
        member = await storage.members.get("telegram:-100", "telegram:1")
        assert member is not None and member.role is Role.ADMIN


async def test_schema_from_a_newer_fxbot_is_refused(database_url: str, tmp_path: Path) -> None:
    target: Path | str = database_url if postgres_or_none(database_url) else Path(database_url)
    extra = Migration(len(MIGRATIONS) + 1, "future", "CREATE TABLE future_table (id INTEGER PRIMARY KEY)")
    db = await open_database(target, migrations=(*MIGRATIONS, extra))
    await db.close()
    with pytest.raises(SchemaTooNewError, match="only knows up to version"):
        await open_database(target)


async def test_processes_starting_together_migrate_once(postgres_server: PostgresServer) -> None:
    url = await postgres_server.create_database(migrated=False)
    try:
        opened = await asyncio.gather(*(open_database(url) for _ in range(4)))
        versions = [await db.schema_version() for db in opened]
        rows = await opened[0].fetch_value("SELECT COUNT(*) FROM schema_migrations")
        for db in opened:
            await db.close()
        assert versions == [len(MIGRATIONS)] * 4 and rows == len(MIGRATIONS)
    finally:
        await postgres_server.drop_database(url)


async def test_postgres_columns_have_sqlite_ranges(postgres_url: str) -> None:
    conn = await asyncpg.connect(dsn=postgres_url)
    try:
        types = {(r["table_name"], r["column_name"]): r["data_type"] for r in await conn.fetch(
            "SELECT table_name, column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = current_schema()")}
    finally:
        await conn.close()
    assert types[("api_keys", "id")] == "bigint"
    assert types[("api_keys", "secret_enc")] == "bytea"
    assert types[("audit_log", "latency_ms")] == "double precision"
    assert types[("alert_rules", "last_points")] == "bigint"
    assert "real" not in types.values() and "integer" not in types.values()


async def test_unreachable_postgres_is_a_clear_error(tmp_path: Path) -> None:
    from fxbot.storage import NotADatabaseError

    url = f"postgresql://fxbot:s3cret@/nowhere?host={tmp_path}&port=1"
    with pytest.raises(NotADatabaseError, match="cannot connect to PostgreSQL") as raised:
        await open_database(url)
    assert "s3cret" not in str(raised.value)

