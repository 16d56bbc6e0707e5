"""The gateway contract on both backends: transactions, savepoints, errors, notifications, dialect shims."""

from __future__ import annotations

import pytest

from fxbot.storage import Database, UniqueViolation


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
    assert [r[0] for r in await db.fetch_all("SELECT v FROM t ORDER BY v")] == [1, 2]
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
    assert [r[0] for r in await db.fetch_all("SELECT v FROM t ORDER BY v")] == [1, 2, 10, 12]
    assert await db.execute_many("INSERT INTO t VALUES (?)", [(20,), (21,)]) == 2
    assert await db.execute_many("UPDATE t SET v = v + 100 WHERE v = ?", [(20,), (99,), (21,)]) == 2
