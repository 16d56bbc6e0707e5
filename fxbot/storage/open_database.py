"""The factory that opens the configured database: a `postgresql://` URL → PostgreSQL, a path → SQLite."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fxbot.storage.database import Database
from fxbot.storage.migrations import MIGRATIONS, Migration
from fxbot.storage.timestamps import Clock, utc_now

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(target: Path | str) -> bool:
    """True for a `postgresql://` (or `postgres://`) connection URL."""
    return isinstance(target, str) and target.startswith(POSTGRES_SCHEMES)


async def open_database(
    target: Path | str,
    *,
    migrations: Sequence[Migration] = MIGRATIONS,
    busy_timeout_ms: int = 5000,
    clock: Clock = utc_now,
    exclusive: bool = False,
    pool_size: int = 10,
    application_name: str | None = None,
) -> Database:
    """Open and migrate the database at a SQLite path or a PostgreSQL URL.

    SQLite only: `busy_timeout_ms`, `exclusive` (hold the file lock alone: restore, rotate-secret).
    PostgreSQL only: `pool_size` (most pooled connections), `application_name` (what pg_stat_activity shows for
    its connections; default "fxbot")."""
    if is_postgres_url(target):
        from fxbot.storage.postgres_database import APPLICATION_NAME, PostgresDatabase  # asyncpg loads when used

        return await PostgresDatabase.connect(str(target), migrations=migrations, clock=clock, pool_size=pool_size,
                                              application_name=application_name or APPLICATION_NAME)
    from fxbot.storage.sqlite_database import SqliteDatabase

    return await SqliteDatabase.open_file(Path(target), migrations=migrations, busy_timeout_ms=busy_timeout_ms,
                                          clock=clock, exclusive=exclusive)
