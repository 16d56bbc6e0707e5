"""Database on a real SQLite file: pragmas, migrations, upgrades, transactions, single writer."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from fxbot.domain.access import Role, Scope
from fxbot.storage import (
    MIGRATIONS,
    Database,
    DatabaseClosedError,
    Migration,
    MigrationError,
    NotADatabaseError,
    SchemaTooNewError,
    Storage,
)
from tests.waiting import eventually

ENV: dict[str, str] = {}
V2 = Migration(2, "test: notes column", "ALTER TABLE chat_settings ADD COLUMN note TEXT; "
               "CREATE TABLE test_notes (chat_id TEXT NOT NULL, body TEXT NOT NULL);")


async def test_open_creates_parent_dir_wal_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "fxbot.db"
    db = await Database.open(path)
    try:
        assert path.exists()
        assert await db.fetch_value("PRAGMA journal_mode") == "wal"
        assert await db.fetch_value("PRAGMA foreign_keys") == 1
        assert await db.fetch_value("PRAGMA busy_timeout") == 5000
        assert await db.schema_version() == len(MIGRATIONS)
    finally:
        await db.close()


async def test_migrations_are_recorded_once(tmp_path: Path) -> None:
    path = tmp_path / "fxbot.db"
    db = await Database.open(path)
    await db.close()
    db = await Database.open(path)  # second open applies nothing
    try:
        rows = await db.fetch_all("SELECT version, name, applied_at FROM schema_migrations")
        assert [(r["version"], r["name"]) for r in rows] == [(m.version, m.name) for m in MIGRATIONS]
        assert rows[0]["applied_at"].endswith("+00:00")
        tables = {r[0] for r in await db.fetch_all("SELECT name FROM sqlite_schema WHERE type='table'")}
        assert {"api_keys", "chat_bindings", "chat_members", "chat_settings", "audit_log"} <= tables
    finally:
        await db.close()


async def test_upgrade_from_version_1_preserves_data(tmp_path: Path) -> None:
    path = tmp_path / "fxbot.db"
    async with await Storage.open(path, ENV, migrations=MIGRATIONS[:1]) as storage:
        key = await storage.keys.add("telegram:1", "main", "sk_test_upgrade_secret_0001", Scope.TRADE)
        await storage.bindings.bind("telegram:-100", key.id, "telegram:1")
        await storage.members.set_role("telegram:-100", "telegram:1", Role.ADMIN, "Alice")
        await storage.settings.set_timezone("telegram:-100", "Europe/London")
        assert await storage.db.schema_version() == 1

    async with await Storage.open(path, ENV, migrations=(*MIGRATIONS[:1], V2)) as storage:
        assert await storage.db.schema_version() == 2
        assert await storage.keys.reveal(key.id) == "sk_test_upgrade_secret_0001"
        binding = await storage.bindings.get("telegram:-100")
        assert binding is not None and binding.key_id == key.id
        member = await storage.members.get("telegram:-100", "telegram:1")
        assert member is not None and member.role is Role.ADMIN
        assert (await storage.settings.get("telegram:-100")).timezone == "Europe/London"
        await storage.db.execute("UPDATE chat_settings SET note = 'n' WHERE chat_id = 'telegram:-100'")
        assert await storage.db.fetch_value("SELECT note FROM chat_settings") == "n"
        versions = [r[0] for r in await storage.db.fetch_all("SELECT version FROM schema_migrations")]
        assert versions == [1, 2]


async def test_database_newer_than_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fxbot.db"
    db = await Database.open(path, migrations=(*MIGRATIONS[:1], V2))
    await db.close()
    with pytest.raises(SchemaTooNewError, match=r"schema version 2 .* only knows up to version 1"):
        await Database.open(path, migrations=MIGRATIONS[:1])


async def test_failed_migration_rolls_back_and_is_not_recorded(tmp_path: Path) -> None:
    path = tmp_path / "fxbot.db"
    broken = Migration(
        2, "broken", "CREATE TABLE half_done (x INTEGER); INSERT INTO no_such_table VALUES (1);"
    )
    with pytest.raises(MigrationError, match=r"migration 2 \(broken\) failed and was rolled back"):
        await Database.open(path, migrations=(*MIGRATIONS[:1], broken))
    db = await Database.open(path, migrations=MIGRATIONS[:1])
    try:
        assert await db.schema_version() == 1
        assert await db.fetch_value("SELECT name FROM sqlite_schema WHERE name = 'half_done'") is None
    finally:
        await db.close()


async def test_misnumbered_migration_list_is_a_programming_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="numbered 1, 2, 3"):
        await Database.open(tmp_path / "x.db", migrations=(*MIGRATIONS[:1], Migration(3, "gap", "")))


async def test_non_database_file_gives_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "fxbot.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(NotADatabaseError, match="not a usable SQLite database"):
        await Database.open(path)


async def test_reader_never_sees_another_tasks_open_transaction(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "fxbot.db")
    try:
        await db.execute("CREATE TABLE t (v INTEGER)")
        inside = asyncio.Event()
        release = asyncio.Event()

        async def writer() -> None:
            async with db.transaction():
                await db.execute("INSERT INTO t VALUES (1)")
                inside.set()
                await release.wait()
                raise RuntimeError("abort")

        task = asyncio.create_task(writer())
        await inside.wait()
        reader = asyncio.create_task(db.fetch_value("SELECT COUNT(*) FROM t"))
        await asyncio.sleep(0.01)
        assert not reader.done()  # waits for the writer instead of reading its uncommitted row
        release.set()
        with pytest.raises(RuntimeError):
            await task
        assert await reader == 0
    finally:
        await db.close()


async def test_many_concurrent_writers_do_not_fail(tmp_path: Path) -> None:
    async with await Storage.open(tmp_path / "fxbot.db", ENV) as storage:
        chat = "discord:1"

        async def worker(i: int) -> None:
            await storage.members.ensure(chat, f"discord:u{i}", f"user{i}", Role.VIEWER)
            secret = f"sk_test_concurrent_{i:04d}_abcdef"
            key = await storage.keys.add(f"discord:u{i}", "k", secret, Scope.TRADE)
            async with storage.db.transaction():
                await storage.audit.record(chat, f"discord:u{i}", "/buy", True, "ok", 1.0, key.created_at)
                await storage.settings.set_value(chat, f"k{i}", str(i))

        await asyncio.gather(*(worker(i) for i in range(60)))
        assert len(await storage.members.list(chat)) == 60
        assert len(await storage.audit.recent(chat, 100)) == 60
        assert len((await storage.settings.get(chat)).extra) == 60
        assert await storage.db.fetch_value("SELECT COUNT(*) FROM api_keys") == 60


async def test_closed_database_raises_clear_error(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "fxbot.db")
    await db.close()
    await db.close()  # idempotent
    with pytest.raises(DatabaseClosedError, match="is closed"):
        await db.fetch_all("SELECT 1")


async def test_a_task_cancelled_while_waiting_to_begin_leaves_no_transaction_open(tmp_path: Path) -> None:
    """BEGIN IMMEDIATE waits on another writer; cancelling the waiting task must not leave the connection in
    a transaction that swallows the next statements of other tasks."""
    path = tmp_path / "fxbot.db"
    db = await Database.open(path)
    other = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
    try:
        await db.execute("CREATE TABLE t (v INTEGER)")
        other.execute("BEGIN IMMEDIATE")  # another process writing: our BEGIN waits (busy_timeout)

        async def writer() -> None:
            async with db.transaction():
                await db.execute("INSERT INTO t VALUES (1)")

        task = asyncio.create_task(writer())
        await eventually(lambda: getattr(db, "_owner", None) is task, "the writer waiting on BEGIN")
        task.cancel()
        other.execute("COMMIT")
        with pytest.raises(asyncio.CancelledError):
            await task
        await db.execute("INSERT INTO t VALUES (2)")  # autocommit: durable for every other connection
        assert other.execute("SELECT v FROM t").fetchall() == [(2,)]
        async with db.transaction():
            await db.execute("INSERT INTO t VALUES (3)")
        assert other.execute("SELECT v FROM t ORDER BY v").fetchall() == [(2,), (3,)]
    finally:
        other.close()
        await db.close()
