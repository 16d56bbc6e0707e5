"""Many rows written at once, one statement a row (executemany): the portable forms of `Database.insert_new`
and `Database.update_rows` (SQLite's, and PostgreSQL's fallback)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from fxbot.storage.postgres_sql import GUARD_OPERATORS, NotPortableSQL, identifier

if TYPE_CHECKING:
    from fxbot.storage.database import Database, Params

KEY_CHUNK = 500
"""Keys per `IN (…)` lookup (SQLite allows 32,766 parameters a statement)."""


class _SomeKnown(Exception):
    """Some rows of a bulk insert had known keys: undo it (a savepoint) and insert only the new ones."""


@lru_cache(maxsize=64)
def insert_sql(table: str, columns: tuple[str, ...]) -> str:
    """One row's INSERT, doing nothing when the first column's value (a unique key) is stored already."""
    cols = [identifier(c) for c in columns]
    return (f"INSERT INTO {identifier(table)} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
            f" ON CONFLICT ({cols[0]}) DO NOTHING")


@lru_cache(maxsize=64)
def update_sql(table: str, columns: tuple[str, ...], key: str, guards: tuple[tuple[str, str], ...]) -> str:
    """One row's UPDATE of `Database.update_rows`: the columns, then the key, then each guard's value."""
    sets = ", ".join(f"{identifier(c)} = ?" for c in columns)
    where = "".join(f" AND {identifier(c)} {_operator(op)} ?" for c, op in guards)
    return f"UPDATE {identifier(table)} SET {sets} WHERE {identifier(key)} = ?{where}"


def _operator(op: str) -> str:
    if op not in GUARD_OPERATORS:
        raise NotPortableSQL(f"guard operator {op!r} is not one of {sorted(GUARD_OPERATORS)}")
    return op


async def insert_new_rows(db: Database, table: str, columns: Sequence[str], rows: Sequence[Params]) -> set[Any]:
    """`Database.insert_new` one row at a time. Almost every key of a burst is new, so the rows are inserted first
    (in a savepoint); only when some were known already is that undone, the known keys looked up and left out."""
    if not rows:
        return set()
    sql = insert_sql(table, tuple(columns))
    async with db.transaction():
        try:
            async with db.transaction():
                if await db.execute_many(sql, rows) == len(rows):
                    return set()
                raise _SomeKnown
        except _SomeKnown:
            pass
        keys = [row[0] for row in rows]
        known: set[Any] = set()
        key = identifier(columns[0])
        for start in range(0, len(keys), KEY_CHUNK):
            part = keys[start:start + KEY_CHUNK]
            found = await db.fetch_all(
                f"SELECT {key} FROM {identifier(table)} WHERE {key} IN ({', '.join('?' * len(part))})", part)
            known.update(row[0] for row in found)
        await db.execute_many(sql, [row for row in rows if row[0] not in known])
    return known


async def update_rows_one_by_one(db: Database, table: str, columns: Sequence[str], rows: Sequence[Params], *,
                                 key: str, guards: Sequence[tuple[str, str]]) -> int:
    """`Database.update_rows` one row at a time, in their order (an executemany)."""
    if not rows:
        return 0
    return await db.execute_many(update_sql(table, tuple(columns), key, tuple(guards)), rows)
