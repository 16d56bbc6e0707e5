"""`fxbot backup`: an online, consistent copy of the database (SQLite's backup API) plus the master key file, in one
tar.gz (mode 0600) with a manifest: fxbot version, schema version, created_at and the sha256 of each member."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from fxbot.storage.lock import DatabaseLock
from fxbot.storage.secret_box import ENV_VAR, KEY_FILE_NAME, SecretBox
from fxbot.storage.store import CANARY_NAME, CANARY_TEXT
from fxbot.version import fxbot_version

ARCHIVE_FORMAT = 1
MANIFEST = "manifest.json"
DB_MEMBER = "fxbot.db"
KEY_MEMBER = "fxbot.key"
KEY_FROM_FILE = "file"
KEY_FROM_ENV = "environment"
_CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Manifest:
    """What an archive holds: which fxbot and schema made it, when, where its master key is, and each member's
    sha256 and size."""

    fxbot_version: str
    schema_version: int
    created_at: str
    master_key: str  # KEY_FROM_FILE (the key file is in the archive) or KEY_FROM_ENV (keep FXBOT_SECRET_KEY)
    members: dict[str, dict[str, Any]]
    format: int = ARCHIVE_FORMAT

    def to_json(self) -> bytes:
        data = {"format": self.format, "fxbot_version": self.fxbot_version, "schema_version": self.schema_version,
                "created_at": self.created_at, "master_key": self.master_key, "members": self.members}
        return json.dumps(data, indent=2, sort_keys=True).encode() + b"\n"

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        try:
            data = json.loads(raw)
            manifest = cls(fxbot_version=str(data["fxbot_version"]), schema_version=int(data["schema_version"]),
                           created_at=str(data["created_at"]), master_key=str(data["master_key"]),
                           members={str(k): {"sha256": str(v["sha256"]), "size": int(v["size"])}
                                    for k, v in dict(data["members"]).items()},
                           format=int(data["format"]))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackupError(f"the archive's {MANIFEST} is not a valid fxbot manifest ({exc})") from None
        if manifest.format != ARCHIVE_FORMAT:
            raise BackupError(f"the archive is in format {manifest.format}; this fxbot reads format {ARCHIVE_FORMAT}")
        if manifest.master_key not in (KEY_FROM_FILE, KEY_FROM_ENV):
            raise BackupError(f"the manifest names an unknown master key source {manifest.master_key!r}")
        return manifest


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def default_archive_name(now: datetime) -> str:
    return f"fxbot-backup-{now.astimezone(UTC):%Y%m%d-%H%M%S}.tar.gz"


def snapshot_database(db_path: Path, dest: Path) -> int:
    """Copy the live database to `dest` with SQLite's backup API (one step: one read transaction, so a consistent
    snapshot even while the bot writes), check its integrity and return its schema version."""
    if not db_path.is_file() or db_path.stat().st_size == 0:
        raise BackupError(f"there is no database at {db_path} (check database.path in the config)")
    source = sqlite3.connect(db_path, timeout=30.0)
    try:
        target = sqlite3.connect(dest)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode = DELETE")  # one self-contained file; fxbot turns WAL on at open
            check = target.execute("PRAGMA integrity_check").fetchone()
            if check is None or check[0] != "ok":
                raise BackupError(f"the database copy failed SQLite's integrity check: {check}")
            row = target.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{db_path} could not be copied: {exc}") from None
        finally:
            target.close()
    finally:
        source.close()
    return int(row[0])


def key_fits(db_copy: Path, key: bytes) -> bool:
    """Whether `key` decrypts the copy's master key check (True when the database has none yet)."""
    connection = sqlite3.connect(db_copy)
    try:
        row = connection.execute("SELECT value FROM storage_meta WHERE name = ?", (CANARY_NAME,)).fetchone()
    except sqlite3.DatabaseError:
        return True
    finally:
        connection.close()
    if row is None:
        return True
    try:
        return SecretBox(key).decrypt(bytes(row[0])) == CANARY_TEXT
    except Exception:
        return False


def create_backup(db_path: Path, env: Mapping[str, str], out: Path | None = None, *,
                  now: datetime | None = None) -> tuple[Path, Manifest]:
    """Write the archive (never over an existing file) and return its path and manifest."""
    created = now or datetime.now(UTC)
    if not db_path.is_file() or db_path.stat().st_size == 0:
        raise BackupError(f"there is no database at {db_path} (check database.path in the config)")
    out = (out or Path.cwd() / default_archive_name(created)).resolve()
    if out.exists():
        raise BackupError(f"{out} already exists; choose another --out")
    out.parent.mkdir(parents=True, exist_ok=True)
    lock = DatabaseLock.acquire(db_path, exclusive=False)  # a restore cannot swap the file under the copy
    try:
        with tempfile.TemporaryDirectory(dir=out.parent, prefix=".fxbot-backup-") as work:
            copy = Path(work) / DB_MEMBER
            schema = snapshot_database(db_path, copy)
            members = {DB_MEMBER: copy}
            key_source = KEY_FROM_ENV if ENV_VAR in env else KEY_FROM_FILE
            key = env[ENV_VAR].strip().encode() if key_source == KEY_FROM_ENV else _read_key(db_path)
            if not key_fits(copy, key):
                raise BackupError(f"the master key ({'FXBOT_SECRET_KEY' if key_source == KEY_FROM_ENV else 'key file'}"
                                  f") does not decrypt this database: a backup with it could not be restored")
            if key_source == KEY_FROM_FILE:
                members[KEY_MEMBER] = db_path.parent / KEY_FILE_NAME
            manifest = Manifest(
                fxbot_version=fxbot_version(), schema_version=schema,
                created_at=created.astimezone(UTC).isoformat(timespec="seconds"), master_key=key_source,
                members={name: {"sha256": sha256_of(path), "size": path.stat().st_size}
                         for name, path in members.items()})
            partial = Path(work) / "archive.tar.gz"
            _write_archive(partial, manifest, members, created)
            os.replace(partial, out)
    finally:
        lock.release()
    return out, manifest


def _read_key(db_path: Path) -> bytes:
    key_path = db_path.parent / KEY_FILE_NAME
    try:
        return key_path.read_bytes().strip()
    except OSError as exc:
        raise BackupError(f"cannot read the master key file {key_path} ({exc.strerror}); if the key comes from "
                          f"the environment, set {ENV_VAR}") from None


def _write_archive(path: Path, manifest: Manifest, members: Mapping[str, Path], created: datetime) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
        _add(archive, MANIFEST, io.BytesIO(manifest.to_json()), len(manifest.to_json()), created)
        for name, source in members.items():
            with source.open("rb") as file:
                _add(archive, name, file, source.stat().st_size, created)
        archive.close()
        raw.flush()
        os.fsync(raw.fileno())


def _add(archive: tarfile.TarFile, name: str, data: BinaryIO, size: int, created: datetime) -> None:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = int(created.timestamp())
    archive.addfile(info, data)
