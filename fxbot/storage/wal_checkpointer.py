"""Checkpoints an SQLite database's WAL from a connection and thread of its own, off the commit path of writes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from pathlib import Path

logger = logging.getLogger(__name__)

CHECKPOINT_INTERVAL_S = 1.0
"""How often the WAL is copied back into the database file (PASSIVE: never waits for readers or writers)."""
BACKSTOP_AUTOCHECKPOINT_PAGES = 10_000
"""The gateway's own connection still checkpoints once its WAL holds this many pages (~40 MB), should this
checkpointer fall behind or fail; SQLite's default of 1000 made about one autocommitted write in a hundred pay for
a checkpoint and its fsyncs (4-7 ms) inside the command that wrote it."""


class WalCheckpointer:
    """Runs `PRAGMA wal_checkpoint(PASSIVE)` every `interval` seconds on a second connection, in a worker thread
    (SQLite releases the GIL while it copies and syncs), so a command's write never runs a checkpoint itself."""

    def __init__(self, conn: sqlite3.Connection, interval: float = CHECKPOINT_INTERVAL_S) -> None:
        self._conn = conn
        self._interval = interval
        self._job: asyncio.Future[tuple[int, int, int]] | None = None
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def open(cls, path: Path, interval: float = CHECKPOINT_INTERVAL_S) -> WalCheckpointer:
        """A checkpointer on the database at path (already in WAL mode); call start() to begin."""
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 0")  # PASSIVE never waits: a busy database is retried next time
        return cls(conn, interval)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="sqlite-wal-checkpointer")

    async def checkpoint(self) -> tuple[int, int, int]:
        """One PASSIVE checkpoint: (busy, WAL frames, frames copied back), as SQLite reports them."""
        job = asyncio.ensure_future(asyncio.to_thread(self._checkpoint))
        self._job = job
        return await asyncio.shield(job)  # a cancelled caller never leaves the thread using a closed connection

    def _checkpoint(self) -> tuple[int, int, int]:
        row = self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(row[0]), int(row[1]), int(row[2])

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.checkpoint()
            except sqlite3.Error as exc:
                logger.warning("WAL checkpoint failed (retried in %.0f s): %s", self._interval, exc)
            except Exception:  # never a silent end: the writes' backstop auto-checkpoint covers until the next try
                logger.exception("WAL checkpoint failed unexpectedly (retried in %.0f s)", self._interval)

    async def close(self) -> None:
        """Stop the periodic checkpoints, let a running one finish, and close the connection."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._job is not None:
            with contextlib.suppress(Exception):
                await self._job
            self._job = None
        self._conn.close()
