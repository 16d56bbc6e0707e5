"""The source of `fxbot migrate-db`: a read-only snapshot of the SQLite database and its tables in copy order."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fxbot.storage.errors import StorageError

SKIPPED_TABLES = frozenset({"schema_migrations", "sqlite_sequence"})
"""Not copied: the target records its own migrations; SQLite's AUTOINCREMENT marks become sequence positions."""


class MigrateDbError(StorageError):
    """A copy that cannot be done or did not verify; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class SourceTable:
    """A table of the source: its columns (in order), their declared types, and its parents by foreign key."""

    name: str
    columns: tuple[str, ...]
    types: tuple[str, ...]
    parents: frozenset[str]


class SqliteSnapshot:
    """A read-only view of an SQLite database inside one read transaction (a consistent snapshot)."""

    def __init__(self, path: Path) -> None:
        if not has_database(path):
            raise MigrateDbError(f"there is no database at {path} (check --from or database.path in the config)")
        self.path = path
        try:
            self._conn = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
            self._conn.execute("PRAGMA query_only = ON")
            self._conn.execute("BEGIN")
            self._conn.execute("SELECT COUNT(*) FROM sqlite_schema").fetchone()  # the snapshot starts here
        except sqlite3.DatabaseError as exc:
            raise MigrateDbError(f"{path} is not a readable SQLite database: {exc}") from None

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._conn.execute("ROLLBACK")
        self._conn.close()

    def schema_version(self) -> int:
        try:
            row = self._conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()
        except sqlite3.DatabaseError:
            raise MigrateDbError(f"{self.path} is not an fxbot database (it has no schema_migrations table)") from None
        return int(row[0])

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self._conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def tables(self) -> list[SourceTable]:
        """Every user table in foreign-key order: a table comes after every table it references."""
        names = [str(row[0]) for row in self._conn.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        found: dict[str, SourceTable] = {}
        for name in names:
            if name in SKIPPED_TABLES:
                continue
            info = self._conn.execute("SELECT name, type FROM pragma_table_info(?) ORDER BY cid", (name,)).fetchall()
            parents = {str(row[0]) for row in self._conn.execute(
                'SELECT "table" FROM pragma_foreign_key_list(?)', (name,))} - {name}
            found[name] = SourceTable(name, tuple(str(r[0]) for r in info), tuple(str(r[1]).upper() for r in info),
                                      frozenset(parents))
        return _foreign_key_order(found)

    def count(self, table: str) -> int:
        return int(self.value(f'SELECT COUNT(*) FROM "{table}"'))

    def autoincrement_marks(self) -> dict[str, int]:
        """SQLite's AUTOINCREMENT high marks per table (ids handed out before, possibly deleted since)."""
        try:
            rows = self._conn.execute("SELECT name, seq FROM sqlite_sequence").fetchall()
        except sqlite3.OperationalError:
            return {}
        return {str(name): int(seq) for name, seq in rows}

    def batches(self, table: SourceTable, size: int) -> Callable[[], list[tuple[Any, ...]]]:
        """A function returning the next batch of rows (converted for a typed target), empty at the end."""
        cursor = self._conn.execute(
            f'SELECT {", ".join(quoted_identifier(c) for c in table.columns)} FROM "{table.name}" ORDER BY rowid')
        converters = [_converter(declared) for declared in table.types]

        def next_batch() -> list[tuple[Any, ...]]:
            return [tuple(convert(value) for convert, value in zip(converters, row, strict=True))
                    for row in cursor.fetchmany(size)]

        return next_batch


def has_database(path: Path) -> bool:
    """Whether `path` is a non-empty file (an SQLite database fxbot could have written)."""
    return path.is_file() and path.stat().st_size > 0


def _foreign_key_order(tables: Mapping[str, SourceTable]) -> list[SourceTable]:
    ordered: list[SourceTable] = []
    placed: set[str] = set()
    pending = dict(sorted(tables.items()))
    while pending:
        ready = [t for t in pending.values() if t.parents & tables.keys() <= placed]
        if not ready:
            raise MigrateDbError(f"the foreign keys of these tables form a cycle: {', '.join(pending)}")
        for table in ready:
            ordered.append(table)
            placed.add(table.name)
            del pending[table.name]
    return ordered


def _converter(declared: str) -> Callable[[Any], Any]:
    """SQLite keeps any value in any column; a typed target (PostgreSQL) wants the declared type."""
    if "INT" in declared:
        return lambda v: int(v) if isinstance(v, (bool, float)) and float(v).is_integer() else v
    if "CHAR" in declared or "TEXT" in declared or "CLOB" in declared:
        return lambda v: v if v is None or isinstance(v, str) else (
            v.decode() if isinstance(v, bytes) else str(v))
    if "BLOB" in declared:
        return lambda v: v.encode() if isinstance(v, str) else v
    if "REAL" in declared or "FLOA" in declared or "DOUB" in declared:
        return lambda v: float(v) if isinstance(v, int) else v
    return lambda v: v


def quoted_identifier(name: str) -> str:
    """A table or column name quoted for SQL (SQLite and PostgreSQL alike)."""
    return '"' + name.replace('"', '""') + '"'
