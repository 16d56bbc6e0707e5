"""`fxbot rotate-secret`: re-encrypt every stored API key under a new master key in one transaction; the new key
file is written (0600, synced) before the commit, and on any failure nothing changes. SQLite or PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet

from fxbot.storage import SecretBox, Storage, load_master_key
from fxbot.storage.postgres_database import APPLICATION_NAME
from fxbot.storage.postgres_listener import APPLICATION_NAME as LISTENER_NAME
from fxbot.storage.secret_box import ENV_VAR, KEY_FILE_NAME
from fxbot.storage.store import CANARY_NAME, CANARY_TEXT


class RotationError(Exception):
    """The rotation could not be done; nothing was changed."""


@dataclass(frozen=True, slots=True)
class Rotated:
    """How many keys were re-encrypted, where the new key is, and whether it replaced the key file in use."""

    keys: int
    new_key_file: Path
    installed_as: Path | None  # the key file beside the database, now holding the new key (None: FXBOT_SECRET_KEY)


def write_key_file(path: Path, key: bytes) -> None:
    """Create `path` (never over an existing file) holding the key, mode 0600, synced to disk."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise RotationError(f"{path} already exists; name a new file for the new key") from None
    except OSError as exc:
        raise RotationError(f"cannot create {path}: {exc.strerror}") from None
    try:
        os.write(fd, key + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)


def rotate_secret(db_path: Path, env: Mapping[str, str], new_key_file: Path, *, url: str | None = None,
                  before_commit: Callable[[], Awaitable[None]] | None = None) -> Rotated:
    """Re-encrypt the stored keys (and their lookup digests, and the master key check) under a fresh key.

    Needs the old key (FXBOT_SECRET_KEY or the key file beside the database) and the database to itself: a
    running bot keeps the old key in memory, so this refuses while one runs (SQLite: DatabaseInUseError; with
    `url`, PostgreSQL: while any other fxbot connection is open on that database — the tables are locked first,
    so a process starting meanwhile waits, then finds the new key check and refuses to start with the old key).
    With a key file, the new key then replaces it; with FXBOT_SECRET_KEY, set it to the new key before starting.
    Blocking (it runs its own event loop): call it from a thread when a loop is running.
    """
    new_key_file = new_key_file.resolve()
    if new_key_file.exists():
        raise RotationError(f"{new_key_file} already exists; name a new file for the new key")
    if url is None and (not db_path.is_file() or db_path.stat().st_size == 0):
        raise RotationError(f"there is no database at {db_path} (check database.path in the config)")
    if url is not None and ENV_VAR not in env and not (db_path.parent / KEY_FILE_NAME).is_file():
        raise RotationError(f"there is no master key to rotate: set {ENV_VAR} or keep {KEY_FILE_NAME} in "
                            f"{db_path.parent} (beside database.path)")
    old_box = SecretBox(load_master_key(db_path, env))
    count = asyncio.run(_reencrypt(db_path, env, old_box, new_key_file, before_commit, url))
    installed = None if ENV_VAR in env else _install(new_key_file, db_path.parent / KEY_FILE_NAME)
    return Rotated(keys=count, new_key_file=new_key_file, installed_as=installed)


async def _reencrypt(db_path: Path, env: Mapping[str, str], old_box: SecretBox, new_key_file: Path,
                     before_commit: Callable[[], Awaitable[None]] | None, url: str | None) -> int:
    """The one transaction; the new key file is written inside it, before the commit, and removed on failure."""
    new_key = Fernet.generate_key()
    new_box = SecretBox(new_key)
    storage = await Storage.open(db_path, env, exclusive=url is None, url=url, pool_size=1,
                                 application_name=ROTATION_NAME)
    written = False
    try:
        async with storage.db.transaction():
            if url is not None:
                await _alone_on_postgres(storage)
            rows = await storage.db.fetch_all("SELECT id, secret_enc FROM api_keys ORDER BY id")
            for row in rows:
                plain = old_box.decrypt(bytes(row["secret_enc"]))
                await storage.db.execute("UPDATE api_keys SET secret_enc = ?, secret_hmac = ? WHERE id = ?",
                                         (new_box.encrypt(plain), new_box.lookup_digest(plain), int(row["id"])))
            await storage.db.execute(
                "INSERT INTO storage_meta (name, value) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (CANARY_NAME, new_box.encrypt(CANARY_TEXT)))
            write_key_file(new_key_file, new_key)
            written = True
            if before_commit is not None:
                await before_commit()
    except BaseException:
        if written:
            with contextlib.suppress(FileNotFoundError):  # the database still uses the old key: this one is useless
                os.unlink(new_key_file)
        raise
    finally:
        await storage.close()
    return len(rows)


ROTATION_NAME = "fxbot rotate-secret"
"""What pg_stat_activity shows for the rotation's own connections (not counted as another fxbot process)."""


async def _alone_on_postgres(storage: Storage) -> None:
    """Lock what the rotation rewrites (a process starting now waits for the commit), then refuse while another
    fxbot process is connected: it would go on with the old key in memory. Connections of a process that was just
    stopped may still be listed for a moment: they are given CLOSING_GRACE_S to go."""
    await storage.db.execute("LOCK TABLE api_keys, storage_meta IN ACCESS EXCLUSIVE MODE")
    deadline = time.monotonic() + CLOSING_GRACE_S
    while True:
        others = await storage.db.fetch_value(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND application_name IN (?, ?)", (APPLICATION_NAME, LISTENER_NAME))
        if not others:
            return
        if time.monotonic() >= deadline:
            raise RotationError(f"{others} other fxbot connection(s) are open on this database: stop every fxbot "
                                "process using it first (each keeps the old key in memory)")
        await asyncio.sleep(0.05)


CLOSING_GRACE_S = 2.0
"""How long other fxbot connections may take to go before the rotation refuses."""


def _install(new_key_file: Path, key_path: Path) -> Path:
    """Replace the key file beside the database with the new key, atomically (a temporary file, then a rename)."""
    temporary = key_path.with_name(key_path.name + ".new")
    try:
        temporary.unlink(missing_ok=True)
        write_key_file(temporary, new_key_file.read_bytes().strip())
        os.replace(temporary, key_path)
    except (OSError, RotationError) as exc:
        raise RotationError(f"the stored keys now use the new key, but {key_path} could not be replaced ({exc}): "
                            f"copy {new_key_file} to {key_path} before starting fxbot") from None
    return key_path
