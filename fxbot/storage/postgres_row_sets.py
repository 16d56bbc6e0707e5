"""PostgreSQL's `Database.insert_new` / `update_rows`: a burst of rows as one statement over unnest(one array per
column), so the server plans and runs it once for the set (an executemany binds and runs it a row at a time)."""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from fxbot.storage.errors import InvalidValue
from fxbot.storage.postgres_sql import COLUMN_TYPES_SQL, identifier, insert_new_sql, update_rows_sql
from fxbot.storage.row_batches import insert_new_rows, update_rows_one_by_one

if TYPE_CHECKING:
    from fxbot.storage.database import Database, Params


class PostgresRowSets:
    """The set-based writes of one PostgreSQL gateway (its statements join the caller's transaction as any other),
    with the column types of each table read from the catalog once."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._types: dict[str, dict[str, str]] = {}

    async def insert_new(self, table: str, columns: Sequence[str], rows: Sequence[Params]) -> set[Any]:
        """INSERT … SELECT FROM unnest(…) ON CONFLICT (key) DO NOTHING RETURNING the key: the known keys are those
        not returned."""
        if not rows:
            return set()
        keys = [row[0] for row in rows]
        if len(set(keys)) < len(keys):  # the contract says distinct; keep the one-by-one meaning if not
            return await insert_new_rows(self._db, table, columns, rows)
        types = await self._column_types(table, columns)
        same, params = row_columns(rows, types)
        inserted = await self._db.fetch_all(insert_new_sql(table, tuple(columns), types, same), params)
        return set(keys).difference(row[0] for row in inserted)

    async def update_rows(self, table: str, columns: Sequence[str], rows: Sequence[Params], *, key: str,
                          guards: Sequence[tuple[str, str]]) -> int:
        """UPDATE … FROM unnest(…) joined on the key, the guards in its WHERE."""
        if not rows:
            return 0
        keys = [row[len(columns)] for row in rows]
        if len(set(keys)) < len(keys):  # one row could match several: apply them in order, one by one
            return await update_rows_one_by_one(self._db, table, columns, rows, key=key, guards=guards)
        types = await self._column_types(table, (*columns, key, *(column for column, _ in guards)))
        # by key: two writers updating some of the same rows then lock them in the same order (no deadlock
        # where the plan walks the rows in the given order)
        same, params = row_columns(sorted(rows, key=itemgetter(len(columns))), types)
        sql = update_rows_sql(table, tuple(columns), key, tuple(guards), types, same)
        return (await self._db.execute(sql, params)).rowcount

    async def _column_types(self, table: str, columns: Sequence[str]) -> tuple[str, ...]:
        """The types of these columns of a table (read from the catalog once per table)."""
        known = self._types.get(table)
        if known is None:
            rows = await self._db.fetch_all(COLUMN_TYPES_SQL, (identifier(table),))
            known = self._types[table] = {str(name): str(kind) for name, kind in rows}
        missing = [column for column in columns if column not in known]
        if missing:
            raise InvalidValue(f"table {table} has no column {', '.join(missing)}")
        return tuple(known[column] for column in columns)


def row_columns(rows: Sequence[Params], types: Sequence[str]) -> tuple[tuple[bool, ...], list[Any]]:
    """The parameters giving the rows column by column: a column's one value where it is the same in every row
    (of a burst of price alerts most columns are: kind, severity, title, the enqueue time…), else its values as
    a tuple (an array); and which columns were the same. Every row must be as wide as `types`."""
    if any(len(row) != len(types) for row in rows):
        raise InvalidValue(f"every row must have {len(types)} values")
    columns = list(zip(*rows, strict=True))
    same = tuple(len(rows) > 1 and column.count(column[0]) == len(column) for column in columns)
    if all(same):  # identical rows: the rows still need one array to be counted by
        same = (False, *same[1:])
    return same, [column[0] if single else column for column, single in zip(columns, same, strict=True)]
