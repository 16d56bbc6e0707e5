"""`fxbot rotate-secret`: re-encrypt every stored API key under a new master key in one transaction; the new key
file is written (0600, synced) before the commit, and on any failure nothing changes."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet

from fxbot.storage import SecretBox, Storage, load_master_key
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


def rotate_secret(db_path: Path, env: Mapping[str, str], new_key_file: Path, *,
                  before_commit: Callable[[], Awaitable[None]] | None = None) -> Rotated:
    """Re-encrypt the stored keys (and their lookup digests, and the master key check) under a fresh key.

    Needs the old key (FXBOT_SECRET_KEY or the key file beside the database) and the database to itself: a
    running bot keeps the old key in memory, so this refuses while one runs (DatabaseInUseError).
    With a key file, the new key then replaces it; with FXBOT_SECRET_KEY, set it to the new key before starting.
    Blocking (it runs its own event loop): call it from a thread when a loop is running.
    """
    new_key_file = new_key_file.resolve()
    if new_key_file.exists():
        raise RotationError(f"{new_key_file} already exists; name a new file for the new key")
    if not db_path.is_file() or db_path.stat().st_size == 0:
        raise RotationError(f"there is no database at {db_path} (check database.path in the config)")
    old_box = SecretBox(load_master_key(db_path, env))
    count = asyncio.run(_reencrypt(db_path, env, old_box, new_key_file, before_commit))
    installed = None if ENV_VAR in env else _install(new_key_file, db_path.parent / KEY_FILE_NAME)
    return Rotated(keys=count, new_key_file=new_key_file, installed_as=installed)


async def _reencrypt(db_path: Path, env: Mapping[str, str], old_box: SecretBox, new_key_file: Path,
                     before_commit: Callable[[], Awaitable[None]] | None) -> int:
    """The one transaction; the new key file is written inside it, before the commit, and removed on failure."""
    new_key = Fernet.generate_key()
    new_box = SecretBox(new_key)
    storage = await Storage.open(db_path, env, exclusive=True)
    written = False
    try:
        async with storage.db.transaction():
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
