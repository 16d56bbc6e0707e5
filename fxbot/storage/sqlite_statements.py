"""The SQLite gateway's low-level steps: a statement run on the connection, BEGIN IMMEDIATE that a cancellation
cannot leave open, and sqlite3's integrity errors as the gateway's."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import aiosqlite

from fxbot.storage.errors import IntegrityViolation, UniqueViolation


@contextmanager
def integrity_errors() -> Iterator[None]:
    """sqlite3.IntegrityError as the gateway's IntegrityViolation / UniqueViolation."""
    try:
        yield
    except sqlite3.IntegrityError as exc:
        text = str(exc)
        kind = UniqueViolation if text.startswith(("UNIQUE constraint", "PRIMARY KEY")) else IntegrityViolation
        raise kind(text) from exc


async def finish(conn: aiosqlite.Connection, statement: str) -> None:
    """Run one statement (BEGIN, COMMIT, ROLLBACK, a savepoint's) on the connection."""
    await conn.execute(statement)


async def begin(conn: aiosqlite.Connection) -> None:
    """BEGIN IMMEDIATE, undone if the caller is cancelled while it waits (for another writer: busy_timeout).

    The statement runs on the connection's thread whatever happens to the awaiting task; without this, a
    cancellation there left the connection inside a transaction nobody owned, and the next statements of
    other tasks ran in it, uncommitted."""
    started = asyncio.ensure_future(finish(conn, "BEGIN IMMEDIATE"))
    try:
        await asyncio.shield(started)
    except asyncio.CancelledError:
        await asyncio.shield(undo_begin(conn, started))
        raise


async def undo_begin(conn: aiosqlite.Connection, begin: asyncio.Future[None]) -> None:
    try:
        await begin
    except Exception:  # it failed (busy past the timeout): no transaction was opened
        return
    await conn.execute("ROLLBACK")
