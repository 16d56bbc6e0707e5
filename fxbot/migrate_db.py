"""`fxbot migrate-db`: copy an SQLite installation into an empty PostgreSQL database, verified, in one transaction.

How the copy works:
- the source is read in ONE SQLite read transaction (a WAL snapshot: consistent even if something writes meanwhile),
  through its own connection with `query_only` set, so the copy never writes to the source;
- the target is opened through the storage gateway, which creates the schema with the same numbered migrations
  fxbot runs at start-up; a target that already holds fxbot data is refused (an empty schema is fine, and so is
  one where fxbot was only started: STARTUP_TABLES);
- every table is copied in foreign-key order (parents first), in batches, column values as stored: the API keys
  stay encrypted under the same master key (their bytes are copied as-is), so the PostgreSQL processes need that
  same key (FXBOT_SECRET_KEY, or the key file);
- on PostgreSQL the identity sequences are moved past the highest id copied (and past SQLite's AUTOINCREMENT high
  mark, so an id is never reused);
- the row count of every table is compared inside the target transaction; any difference or failure rolls the whole
  copy back, leaving the target without data.

The running bot: by default the copy holds the database's lock file exclusively (fxbot.storage.lock), so it refuses
while a bot has the database open, and a bot cannot start during the copy. A copy taken while the bot runs would be
consistent but already stale: whatever the bot writes after the snapshot (fire states, outbox items, fills seen,
new alerts) would be lost at the switch, and the old bot would keep sending what the new processes send again.
`live=True` (`--live`) copies a running installation anyway, as a rehearsal (time it, check the counts); the
switch itself is done with the bot stopped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from fxbot.migrate_db_snapshot import MigrateDbError as MigrateDbError
from fxbot.migrate_db_snapshot import SqliteSnapshot, has_database, quoted_identifier
from fxbot.storage.database import Database
from fxbot.storage.errors import MasterKeyMismatchError
from fxbot.storage.lock import DatabaseLock
from fxbot.storage.secret_box import SecretBox, load_master_key
from fxbot.storage.store import CANARY_NAME, CANARY_TEXT

BATCH_ROWS = 2000


STARTUP_TABLES = frozenset({"storage_meta", "leases", "notify_delivery_leases", "watchdog_heartbeat"})
"""Rows fxbot writes by merely starting (its master key check, leases, the heartbeat): a target with rows only
there holds no data; the copy replaces them with the source's (a key check made with another key included)."""


@dataclass(frozen=True, slots=True)
class TableCopy:
    """One table's outcome: rows in the source snapshot and rows in the target after the copy."""

    name: str
    source_rows: int
    target_rows: int


@dataclass(frozen=True, slots=True)
class MigrationReport:
    """What was copied: the schema version and every table in the order it was copied."""

    schema_version: int
    tables: tuple[TableCopy, ...]

    @property
    def total_rows(self) -> int:
        return sum(table.target_rows for table in self.tables)


def check_master_key(source: SqliteSnapshot, env: Mapping[str, str]) -> None:
    """The master key (FXBOT_SECRET_KEY or the key file beside the source) must decrypt the source's key check:
    the target will need that same key to read the copied API keys."""
    canary = source.value("SELECT value FROM storage_meta WHERE name = ?", (CANARY_NAME,))
    if canary is None:
        canary = source.value("SELECT secret_enc FROM api_keys ORDER BY id LIMIT 1")
        if canary is None:
            return  # nothing encrypted yet
    key_file = source.path.parent / "fxbot.key"
    if "FXBOT_SECRET_KEY" not in env and not key_file.is_file():
        raise MigrateDbError(f"no master key: neither FXBOT_SECRET_KEY nor the key file {key_file}; the copied API "
                             "keys could never be read without the key they were encrypted with")
    box = SecretBox(load_master_key(source.path, env))
    try:
        plain = box.decrypt(bytes(canary))
    except MasterKeyMismatchError:
        plain = None
    if plain is None or (plain != CANARY_TEXT and source.value(
            "SELECT 1 FROM storage_meta WHERE name = ?", (CANARY_NAME,)) is not None):
        raise MigrateDbError("the master key (FXBOT_SECRET_KEY or fxbot.key) does not decrypt the stored keys of "
                             f"{source.path}: use the key this database was created with")


async def target_rows(target: Database, tables: Sequence[str]) -> dict[str, int]:
    """Rows per table in the target (a table the target lacks is an error: schemas differ)."""
    counts: dict[str, int] = {}
    for table in tables:
        try:
            counts[table] = int(await target.fetch_value(f'SELECT COUNT(*) FROM "{table}"'))
        except Exception as exc:  # the driver's own error type: sqlite3 or asyncpg
            raise MigrateDbError(f"the target has no usable table {table} ({exc})") from None
    return counts


async def copy_database(source: SqliteSnapshot, target: Database, *, batch_rows: int = BATCH_ROWS,
                        progress: Callable[[str], None] | None = None) -> MigrationReport:
    """Copy every table of the snapshot into the (migrated, empty) target in one transaction and verify the counts."""
    version = source.schema_version()
    target_version = await target.schema_version()
    if version != target_version:
        raise MigrateDbError(f"the source is at schema version {version} but the target at {target_version}: "
                             "start this fxbot once on the SQLite database (it upgrades it), then copy again")
    tables = await asyncio.to_thread(source.tables)
    names = [table.name for table in tables]
    found = {name: n for name, n in (await target_rows(target, names)).items() if n}
    non_empty = {name: n for name, n in found.items() if name not in STARTUP_TABLES}
    if non_empty:
        listed = ", ".join(f"{name} ({n} rows)" for name, n in non_empty.items())
        raise MigrateDbError(f"the target already holds fxbot data: {listed}. migrate-db only fills an empty "
                             "database; drop and re-create it (or choose another) to copy again")
    copies: list[TableCopy] = []
    async with target.transaction():
        for started in sorted(found.keys() & STARTUP_TABLES):
            await target.execute(f'DELETE FROM "{started}"')
        for table in tables:
            expected = await asyncio.to_thread(source.count, table.name)
            insert = (f'INSERT INTO "{table.name}" ({", ".join(quoted_identifier(c) for c in table.columns)}) '
                      f'VALUES ({", ".join("?" for _ in table.columns)})')
            next_batch = source.batches(table, batch_rows)
            while batch := await asyncio.to_thread(next_batch):
                await target.execute_many(insert, batch)
            copied = int(await target.fetch_value(f'SELECT COUNT(*) FROM "{table.name}"'))
            if copied != expected:
                raise MigrateDbError(f"table {table.name}: {expected} rows in the source but {copied} in the target "
                                     "after the copy; nothing was kept")
            copies.append(TableCopy(table.name, expected, copied))
            if progress is not None:
                progress(f"{table.name}: {copied} rows")
        marks = await asyncio.to_thread(source.autoincrement_marks)
        if target.dialect == "postgresql":
            await _advance_sequences(target, marks)
        else:
            for marked, mark in marks.items():
                await target.execute("UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = ?", (mark, marked))
    return MigrationReport(version, tuple(copies))


async def _advance_sequences(target: Database, marks: Mapping[str, int]) -> None:
    """Move each identity/serial sequence past the highest id copied (and SQLite's AUTOINCREMENT high mark)."""
    columns = await target.fetch_all(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')")
    for row in columns:
        table_name, column = str(row[0]), str(row[1])
        highest = int(await target.fetch_value(
            f'SELECT COALESCE(MAX({quoted_identifier(column)}), 0) FROM "{table_name}"'))
        floor = max(highest, marks.get(table_name, 0))
        if floor > 0:
            await target.fetch_value("SELECT setval(pg_get_serial_sequence(?, ?), ?)", (table_name, column, floor))


OpenTarget = Callable[[str], Awaitable[Database]]
"""Opens (and migrates) the target database named by a URL."""


async def open_target_database(url: str) -> Database:
    """The database at `url` through the storage gateway, its schema created by fxbot's migrations."""
    return await Database.open(url)


async def migrate_db(source_path: Path, target_url: str, env: Mapping[str, str], *, live: bool = False,
                     open_target: OpenTarget = open_target_database, batch_rows: int = BATCH_ROWS,
                     progress: Callable[[str], None] | None = None) -> MigrationReport:
    """Copy the SQLite database at `source_path` into the empty database at `target_url` (see the module doc).

    Not live: the source is opened by the gateway exclusively (refused while a bot has it open; an older schema is
    upgraded first, as starting fxbot would). Live: the lock is held shared and the schema must be this fxbot's."""
    holder: Database | DatabaseLock
    if not await asyncio.to_thread(has_database, source_path):
        raise MigrateDbError(f"there is no database at {source_path} (check --from or database.path in the config)")
    if live:
        holder = DatabaseLock.acquire(source_path, exclusive=False)
    else:
        holder = await Database.open(source_path, exclusive=True)
    try:
        source = await asyncio.to_thread(SqliteSnapshot, source_path)
        try:
            check_master_key(source, env)
            target = await open_target(target_url)
            try:
                return await copy_database(source, target, batch_rows=batch_rows, progress=progress)
            finally:
                await target.close()
        finally:
            source.close()
    finally:
        if isinstance(holder, DatabaseLock):
            holder.release()
        else:
            await holder.close()


def shown_url(url: str) -> str:
    """A database URL safe to print: its password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))
