"""The SQLite gateway's WAL is checkpointed by a connection of its own, never inside a command's write."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from fxbot.storage.sqlite_database import SqliteDatabase
from fxbot.storage.wal_checkpointer import BACKSTOP_AUTOCHECKPOINT_PAGES, WalCheckpointer

PAGE = 4096


def _checkpointer(db: SqliteDatabase) -> WalCheckpointer:
    checkpointer = db._checkpointer
    assert checkpointer is not None
    return checkpointer


async def test_writes_past_sqlites_default_autocheckpoint_never_checkpoint_themselves(tmp_path: Path) -> None:
    path = tmp_path / "fxbot.db"
    db = await SqliteDatabase.open_file(path)
    try:
        assert await db.fetch_value("PRAGMA wal_autocheckpoint") == BACKSTOP_AUTOCHECKPOINT_PAGES
        await db.execute("CREATE TABLE blobs (body BLOB NOT NULL)")
        for _ in range(1_200):  # one page and more each, autocommitted: past SQLite's default of 1000 pages
            await db.execute("INSERT INTO blobs (body) VALUES (?)", (b"x" * PAGE,))
        wal = path.with_name(path.name + "-wal")
        assert wal.stat().st_size > 1_200 * PAGE  # never checkpointed (and restarted) by a write

        busy, frames, copied = await _checkpointer(db).checkpoint()
        assert busy == 0 and frames >= 1_200 and copied == frames
        with sqlite3.connect(path) as other:  # the rows are in the database for any reader
            assert other.execute("SELECT count(*) FROM blobs").fetchone() == (1_200,)
    finally:
        await db.close()


async def test_close_stops_the_checkpointer_and_closes_its_connection(tmp_path: Path) -> None:
    db = await SqliteDatabase.open_file(tmp_path / "fxbot.db")
    checkpointer = _checkpointer(db)
    await checkpointer.checkpoint()
    await db.close()
    assert db._checkpointer is None
    with pytest.raises(sqlite3.ProgrammingError):  # its connection is closed
        checkpointer._conn.execute("SELECT 1")


async def test_a_cancelled_checkpoint_finishes_before_close_closes_its_connection(tmp_path: Path) -> None:
    db = await SqliteDatabase.open_file(tmp_path / "fxbot.db")
    checkpointer = _checkpointer(db)
    waiter = asyncio.ensure_future(checkpointer.checkpoint())
    await asyncio.sleep(0)  # let it start (started or not, close must not fail)
    waiter.cancel()
    await db.close()  # waits for the running checkpoint, then closes: no error from the thread
    assert waiter.cancelled()
