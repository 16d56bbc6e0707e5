"""`fxbot restore`: check a backup archive (manifest, sha256 of each member, schema version, the master key) and
put its database and key file in place — never under a running bot, never over existing files without --force."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sqlite3
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fxbot.backup import DB_MEMBER, KEY_FROM_ENV, KEY_MEMBER, MANIFEST, BackupError, Manifest
from fxbot.storage import MIGRATIONS, MasterKeyError, Storage, StorageError
from fxbot.storage.database import SIDE_FILE_SUFFIXES
from fxbot.storage.lock import DatabaseLock, lock_path_for
from fxbot.storage.secret_box import ENV_VAR, KEY_FILE_NAME

MAX_MANIFEST_BYTES = 1 << 20
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Restored:
    """What restore did: the manifest it trusted, where the files went, what was moved aside."""

    manifest: Manifest
    database: Path
    key_file: Path | None
    set_aside: list[Path]


def read_archive(archive: Path, into: Path) -> tuple[Manifest, dict[str, Path]]:
    """Extract and verify the archive into the directory `into`: only the known members, regular files, each
    matching the manifest's size and sha256, and a schema this fxbot knows."""
    files: dict[str, Path] = {}
    manifest: Manifest | None = None
    try:
        tar = tarfile.open(archive, "r:gz")  # noqa: SIM115 (closed by the with below; opening errors handled here)
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"{archive} is not a readable fxbot backup ({exc})") from None
    with tar:
        try:
            for member in tar:
                if member.name not in (MANIFEST, DB_MEMBER, KEY_MEMBER) or not member.isfile() or member.name in files:
                    raise BackupError(f"{archive} holds an unexpected entry {member.name!r}: not an fxbot backup")
                source = tar.extractfile(member)
                assert source is not None
                if member.name == MANIFEST:
                    manifest = Manifest.from_json(source.read(MAX_MANIFEST_BYTES))
                    files[MANIFEST] = into / MANIFEST
                    continue
                target = into / member.name
                digest = hashlib.sha256()
                with target.open("xb") as out:
                    os.chmod(target, 0o600)
                    while chunk := source.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                files[member.name] = target
                if manifest is None or member.name not in manifest.members:
                    raise BackupError(f"{archive}: {member.name} is not listed in the manifest before it")
                expected = manifest.members[member.name]
                if digest.hexdigest() != expected["sha256"] or target.stat().st_size != expected["size"]:
                    raise BackupError(f"{archive}: {member.name} does not match its sha256 in the manifest "
                                      "(the archive is damaged or was altered)")
        except (OSError, tarfile.TarError, EOFError) as exc:
            raise BackupError(f"{archive} could not be read completely ({exc})") from None
    if manifest is None:
        raise BackupError(f"{archive} has no {MANIFEST}: not an fxbot backup")
    missing = set(manifest.members) - set(files)
    if missing or DB_MEMBER not in manifest.members:
        raise BackupError(f"{archive} lacks {', '.join(sorted(missing)) or DB_MEMBER}")
    newest = MIGRATIONS[-1].version
    if manifest.schema_version > newest:
        raise BackupError(f"the backup was made by a newer fxbot ({manifest.fxbot_version}, schema version "
                          f"{manifest.schema_version}); this fxbot knows up to schema version {newest}: upgrade fxbot "
                          "first")
    del files[MANIFEST]
    return manifest, files


def _restored_key(manifest: Manifest, files: Mapping[str, Path], env: Mapping[str, str]) -> bytes:
    """The master key the restored bot will use: FXBOT_SECRET_KEY when set (it wins at start-up), else the
    archive's key file."""
    if ENV_VAR in env:
        return env[ENV_VAR].strip().encode()
    if manifest.master_key == KEY_FROM_ENV or KEY_MEMBER not in files:
        raise BackupError(f"this backup's master key came from the environment: set {ENV_VAR} to that key "
                          "and run restore again")
    return files[KEY_MEMBER].read_bytes().strip()


def _check_and_upgrade(db: Path, key: bytes) -> None:
    asyncio.run(_open_and_close(db, key))
    connection = sqlite3.connect(db)
    try:  # fold any write-ahead log into the file: only the file is moved in place
        connection.execute("PRAGMA journal_mode = DELETE")
    finally:
        connection.close()


async def _open_and_close(db: Path, key: bytes) -> None:
    """Open the extracted copy with the key it will be used with: checks the key fits and applies newer
    migrations (an older backup is upgraded before it is put in place)."""
    try:
        storage = await Storage.open(db, {ENV_VAR: key.decode("ascii", "replace")})
    except MasterKeyError as exc:
        raise BackupError(f"the master key does not fit the backed-up database: {exc}") from None
    except StorageError as exc:
        raise BackupError(f"the backed-up database cannot be opened: {exc}") from None
    await storage.close()


def restore_backup(archive: Path, db_path: Path, env: Mapping[str, str], *, force: bool = False,
                   now: datetime | None = None) -> Restored:
    """Verify the archive, then swap its database (and key file) in under an exclusive lock on the database.

    Blocking (it runs its own event loop to open the copy): call it from a thread when a loop is running."""
    db_path = db_path.resolve()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=db_path.parent, prefix=".fxbot-restore-") as work:
        manifest, files = read_archive(archive, Path(work))
        key = _restored_key(manifest, files, env)
        _check_and_upgrade(files[DB_MEMBER], key)
        lock_path_for(files[DB_MEMBER]).unlink(missing_ok=True)
        install_key = ENV_VAR not in env and KEY_MEMBER in files
        key_path = db_path.parent / KEY_FILE_NAME
        lock = DatabaseLock.acquire(db_path, exclusive=True)  # DatabaseInUseError while a bot has it open
        try:
            existing = [p for p in (db_path, *(db_path.with_name(db_path.name + s) for s in SIDE_FILE_SUFFIXES))
                        if p.exists() and (p != db_path or p.stat().st_size > 0)]
            if install_key and key_path.exists():
                existing.append(key_path)
            if existing and not force:
                raise BackupError(f"{', '.join(str(p) for p in existing)} already exist(s); restore into an empty "
                                  "folder, or pass --force to replace them (they are kept, renamed "
                                  "*.before-restore-<time>)")
            stamp = f".before-restore-{(now or datetime.now(UTC)):%Y%m%d-%H%M%S}"
            set_aside = []
            for path in existing:
                aside = path.with_name(path.name + stamp)
                os.replace(path, aside)
                set_aside.append(aside)
            os.replace(files[DB_MEMBER], db_path)
            if install_key:
                os.replace(files[KEY_MEMBER], key_path)
            _fsync_dir(db_path.parent)
        finally:
            lock.release()
    return Restored(manifest=manifest, database=db_path, key_file=key_path if install_key else None,
                    set_aside=set_aside)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
