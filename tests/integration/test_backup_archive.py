"""Backup archives on real files: what restore refuses (altered members, unknown entries, a newer schema, a key that
does not fit, an environment key that is not set) and that a refusal changes nothing."""

from __future__ import annotations

import asyncio
import io
import json
import tarfile
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from fxbot.backup import BackupError, create_backup
from fxbot.domain.access import Scope
from fxbot.restore import Restored, restore_backup
from fxbot.storage import MIGRATIONS, Storage
from fxbot.storage.lock import DatabaseInUseError

SECRET = "sk_test_backup_secret_0000000001"


async def _database(folder: Path, env: dict[str, str]) -> Path:
    db = folder / "fxbot.db"
    async with await Storage.open(db, env) as storage:
        key = await storage.keys.add("telegram:1", "main", SECRET, Scope.TRADE)
        await storage.bindings.bind("telegram:-100", key.id, "telegram:1")
    return db


def _rewrite(archive: Path, change: dict[str, bytes], extra: dict[str, bytes] | None = None) -> Path:
    """A copy of the archive with some members' bytes replaced (and extra members added)."""
    out = archive.with_name("altered.tar.gz")
    with tarfile.open(archive) as source, tarfile.open(out, "w:gz") as target:
        for member in source:
            data = change.get(member.name) or source.extractfile(member).read()  # type: ignore[union-attr]
            info = tarfile.TarInfo(member.name)
            info.size = len(data)
            target.addfile(info, io.BytesIO(data))
        for name, data in (extra or {}).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            target.addfile(info, io.BytesIO(data))
    return out


def _manifest(archive: Path) -> dict[str, object]:
    with tarfile.open(archive) as tar:
        data: dict[str, object] = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
        return data


async def _restore(archive: Path, db: Path, env: dict[str, str], *, force: bool = False) -> Restored:
    return await asyncio.to_thread(restore_backup, archive, db, env, force=force)


async def test_an_altered_member_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    db = await _database(tmp_path / "live", {})
    archive, _ = create_backup(db, {}, tmp_path / "b.tar.gz")
    altered = _rewrite(archive, {"fxbot.key": Fernet.generate_key() + b"\n"})
    target = tmp_path / "fresh" / "fxbot.db"
    with pytest.raises(BackupError, match=r"fxbot\.key does not match its sha256"):
        await _restore(altered, target, {})
    assert sorted(p.name for p in target.parent.iterdir()) == []


async def test_unknown_entries_and_a_newer_schema_are_refused(tmp_path: Path) -> None:
    db = await _database(tmp_path / "live", {})
    archive, _ = create_backup(db, {}, tmp_path / "b.tar.gz")
    with pytest.raises(BackupError, match=r"unexpected entry '\.\./evil'"):
        await _restore(_rewrite(archive, {}, {"../evil": b"x"}), tmp_path / "f1" / "fxbot.db", {})
    manifest = _manifest(archive)
    manifest["schema_version"] = MIGRATIONS[-1].version + 1
    newer = _rewrite(archive, {"manifest.json": json.dumps(manifest).encode()})
    with pytest.raises(BackupError, match=r"made by a newer fxbot .* upgrade fxbot first"):
        await _restore(newer, tmp_path / "f2" / "fxbot.db", {})
    with pytest.raises(BackupError, match="not a readable fxbot backup"):
        await _restore(db, tmp_path / "f3" / "fxbot.db", {})  # not an archive at all


async def test_an_environment_key_backup_needs_that_key_to_restore(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    env = {"FXBOT_SECRET_KEY": key}
    db = await _database(tmp_path / "live", env)
    archive, manifest = create_backup(db, env, tmp_path / "b.tar.gz")
    assert manifest.master_key == "environment" and set(manifest.members) == {"fxbot.db"}
    target = tmp_path / "fresh" / "fxbot.db"
    with pytest.raises(BackupError, match="set FXBOT_SECRET_KEY"):
        await _restore(archive, target, {})
    with pytest.raises(BackupError, match="master key does not fit"):
        await _restore(archive, target, {"FXBOT_SECRET_KEY": Fernet.generate_key().decode()})
    await _restore(archive, target, env)
    assert not (target.parent / "fxbot.key").exists()
    async with await Storage.open(target, env) as storage:
        stored = await storage.keys.find_by_secret("telegram:1", SECRET)
        assert stored is not None and await storage.keys.reveal(stored.id) == SECRET


async def test_an_older_backup_is_upgraded_when_restored(tmp_path: Path) -> None:
    db = tmp_path / "old" / "fxbot.db"
    async with await Storage.open(db, {}, migrations=MIGRATIONS[:3]) as storage:
        await storage.keys.add("telegram:1", "main", SECRET, Scope.TRADE)
    archive, manifest = create_backup(db, {}, tmp_path / "b.tar.gz")
    assert manifest.schema_version == 3
    target = tmp_path / "fresh" / "fxbot.db"
    await _restore(archive, target, {})
    async with await Storage.open(target, {}) as storage:
        assert await storage.db.schema_version() == MIGRATIONS[-1].version
        assert await storage.keys.find_by_secret("telegram:1", SECRET) is not None


async def test_backup_refuses_an_existing_file_and_a_missing_database(tmp_path: Path) -> None:
    db = await _database(tmp_path / "live", {})
    taken = tmp_path / "taken.tar.gz"
    taken.write_bytes(b"keep me")
    with pytest.raises(BackupError, match="already exists"):
        create_backup(db, {}, taken)
    assert taken.read_bytes() == b"keep me"
    with pytest.raises(BackupError, match="there is no database"):
        create_backup(tmp_path / "nowhere" / "fxbot.db", {}, tmp_path / "c.tar.gz")


async def test_restore_is_refused_while_the_database_is_open(tmp_path: Path) -> None:
    db = await _database(tmp_path / "live", {})
    archive, _ = create_backup(db, {}, tmp_path / "b.tar.gz")
    async with await Storage.open(db, {}):  # what a running bot holds
        with pytest.raises(DatabaseInUseError, match="in use by a running fxbot"):
            await _restore(archive, db, {}, force=True)
    await _restore(archive, db, {}, force=True)  # stopped: it goes through
