"""The SQLite database's files: the database created owner-only (0600), it and its -wal/-shm side files kept so."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from fxbot.storage.database import FILE_MODE, SIDE_FILE_SUFFIXES
from fxbot.storage.errors import NotADatabaseError

logger = logging.getLogger(__name__)


def create_private(path: Path) -> None:
    """Create the database file owner-only before SQLite opens it; restrict an existing one (and its side files).

    SQLite creates -wal and -shm with the mode of the database file, so they end up 0600 as well. No umask
    change: it is process-wide and other threads may be creating files meanwhile."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    except OSError as exc:
        raise NotADatabaseError(f"cannot open database {path}: {exc.strerror}") from None
    os.close(fd)
    restrict_files(path)


def restrict_files(path: Path) -> None:
    """Make the database file and its -wal/-shm files owner-only (0600) where they are more open."""
    for file in (path, *(path.with_name(path.name + suffix) for suffix in SIDE_FILE_SUFFIXES)):
        try:
            mode = stat.S_IMODE(file.stat().st_mode)
            if mode & ~FILE_MODE:
                os.chmod(file, FILE_MODE)
        except FileNotFoundError:
            continue
        except OSError as exc:  # not our file (another owner): SQLite still works, say so once
            logger.warning("could not restrict %s to mode 0600 (%s); run: chmod 600 %s", file, exc.strerror, file)
