"""The database file and its -wal/-shm files are owner-only (0600), new or inherited from an older version."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from fxbot.storage import Database, Storage

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The common 022 umask, under which files are created 0644 unless fxbot says otherwise."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def modes(path: Path) -> dict[str, int]:
    files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    return {file.name: stat.S_IMODE(file.stat().st_mode) for file in files}


async def test_a_new_database_and_its_wal_and_shm_files_are_created_0600(tmp_path: Path) -> None:
    path = tmp_path / "fxbot.db"
    storage = await Storage.open(path, {})
    try:
        await storage.db.execute("CREATE TABLE t (v INTEGER)")
        await storage.db.execute("INSERT INTO t VALUES (1)")
        assert modes(path) == {"fxbot.db": 0o600, "fxbot.db-wal": 0o600, "fxbot.db-shm": 0o600}
    finally:
        await storage.close()


async def test_an_existing_world_readable_database_is_restricted_on_open(tmp_path: Path) -> None:
    path = tmp_path / "fxbot.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE old (v INTEGER)")
    conn.commit()
    conn.close()
    path.chmod(0o644)
    for suffix in ("-wal", "-shm"):  # left behind by a crash of an older version
        side = path.with_name(path.name + suffix)
        if not side.exists():
            side.touch()
        side.chmod(0o644)
    db = await Database.open(path)
    try:
        await db.execute("INSERT INTO old VALUES (1)")
        assert set(modes(path).values()) == {0o600}
    finally:
        await db.close()
