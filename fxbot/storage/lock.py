"""An advisory lock file beside the database: shared while fxbot uses the database, exclusive to restore or re-key it.

Why a kernel lock (flock) on a side file, and not a pid file or an SQLite lock:
- the kernel drops it when the process ends, however it ends (kill -9, a crash, OOM): never stale, no pid reuse,
  no pid namespaces to reason about in containers sharing the /data volume;
- an idle bot in WAL mode holds no SQLite lock at all, so "try an exclusive SQLite transaction" cannot see it;
- a side file (not the database file) keeps these locks independent of SQLite's own POSIX locks.
Every process that opens the database (the bot, grant-admin) holds it shared; restore and rotate-secret need it
exclusive, so they refuse while anything else has the database open, and the bot refuses to start meanwhile.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from fxbot.storage.errors import NotADatabaseError, StorageError

LOCK_SUFFIX = ".lock"


class DatabaseInUseError(StorageError):
    """Another process has the database open (or is restoring / re-keying it)."""


def lock_path_for(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + LOCK_SUFFIX)


class DatabaseLock:
    """A held lock; `release()` (idempotent) lets it go, and so does the end of the process."""

    def __init__(self, path: Path, fd: int, *, exclusive: bool) -> None:
        self.path = path
        self.exclusive = exclusive
        self._fd: int | None = fd

    def __repr__(self) -> str:
        kind = "exclusive" if self.exclusive else "shared"
        return f"DatabaseLock({str(self.path)!r}, {kind}, {'held' if self._fd is not None else 'released'})"

    @classmethod
    def acquire(cls, db_path: Path, *, exclusive: bool) -> DatabaseLock:
        """Take the lock without waiting; DatabaseInUseError (saying who may hold it) when it is taken."""
        path = lock_path_for(db_path)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
        except OSError as exc:
            raise NotADatabaseError(f"cannot create the lock file {path}: {exc.strerror}") from None
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if exclusive:
                raise DatabaseInUseError(
                    f"the database {db_path} is in use by a running fxbot (or another fxbot command): "
                    "stop it first") from None
            raise DatabaseInUseError(
                f"the database {db_path} is being restored or re-keyed by another fxbot command: "
                "try again when it has finished") from None
        except OSError as exc:
            os.close(fd)
            raise NotADatabaseError(f"cannot lock {path}: {exc.strerror}") from None
        return cls(path, fd, exclusive=exclusive)

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the descriptor drops the flock
