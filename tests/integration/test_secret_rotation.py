"""rotate-secret on a real database: every key re-encrypted under the new master key in one transaction, the new
key file written 0600 before the commit, nothing changed on any failure, and refused while the database is open."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from fxbot.domain.access import Scope
from fxbot.secret_rotation import Rotated, RotationError, rotate_secret
from fxbot.storage import MasterKeyMismatchError, SecretBox, Storage
from fxbot.storage.lock import DatabaseInUseError
from fxbot.storage.store import CANARY_NAME, CANARY_TEXT

SECRETS = {"main": "sk_test_rotation_secret_000000001", "desk": "sk_test_rotation_secret_000000002"}


async def _database(folder: Path, env: dict[str, str]) -> Path:
    db = folder / "fxbot.db"
    async with await Storage.open(db, env) as storage:
        for name, secret in SECRETS.items():
            await storage.keys.add("telegram:1", name, secret, Scope.TRADE)
    return db


def _raw(db: Path) -> list[tuple[Any, ...]]:
    """The stored encrypted rows and the master key check, read without any key."""
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT id, secret_enc, secret_hmac FROM api_keys ORDER BY id").fetchall()
        rows += connection.execute("SELECT name, value FROM storage_meta WHERE name = ?", (CANARY_NAME,)).fetchall()
    return rows


async def _rotate(db: Path, env: dict[str, str], new: Path,
                  before_commit: Callable[[], Awaitable[None]] | None = None) -> Rotated:
    return await asyncio.to_thread(rotate_secret, db, env, new, before_commit=before_commit)


async def test_rotation_re_encrypts_every_key_and_replaces_the_key_file(tmp_path: Path) -> None:
    db = await _database(tmp_path, {})
    old_key = (tmp_path / "fxbot.key").read_bytes()
    new_file = tmp_path / "new.key"
    done = await _rotate(db, {}, new_file)
    new_key = new_file.read_bytes()
    assert stat.S_IMODE(new_file.stat().st_mode) == 0o600 and new_key != old_key
    assert (tmp_path / "fxbot.key").read_bytes() == new_key  # the key file in use now holds the new key
    assert stat.S_IMODE((tmp_path / "fxbot.key").stat().st_mode) == 0o600
    assert done.keys == 2 and done.installed_as == tmp_path / "fxbot.key"
    async with await Storage.open(db, {}) as storage:
        for name, secret in SECRETS.items():
            stored = await storage.keys.find_by_secret("telegram:1", secret)  # the lookup digest follows the key
            assert stored is not None and stored.name == name and await storage.keys.reveal(stored.id) == secret
    (tmp_path / "fxbot.key").write_bytes(old_key)
    with pytest.raises(MasterKeyMismatchError):
        await Storage.open(db, {})  # the old key opens nothing any more


async def test_with_an_environment_key_the_new_key_is_only_written_out(tmp_path: Path) -> None:
    env = {"FXBOT_SECRET_KEY": Fernet.generate_key().decode()}
    db = await _database(tmp_path, env)
    done = await _rotate(db, env, tmp_path / "new.key")
    assert done.installed_as is None and not (tmp_path / "fxbot.key").exists()
    new_env = {"FXBOT_SECRET_KEY": (tmp_path / "new.key").read_text().strip()}
    async with await Storage.open(db, new_env) as storage:
        stored = await storage.keys.find_by_secret("telegram:1", SECRETS["desk"])
        assert stored is not None and await storage.keys.reveal(stored.id) == SECRETS["desk"]


async def test_the_new_key_file_exists_before_the_commit_and_a_failure_then_changes_nothing(tmp_path: Path) -> None:
    db = await _database(tmp_path, {})
    old_key = (tmp_path / "fxbot.key").read_bytes()
    before = _raw(db)
    new_file = tmp_path / "new.key"
    seen: list[int] = []

    async def crash_before_commit() -> None:
        seen.append(stat.S_IMODE(new_file.stat().st_mode))
        SecretBox(new_file.read_bytes().strip())  # a complete, valid key is on disk already
        raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        await _rotate(db, {}, new_file, before_commit=crash_before_commit)
    assert seen == [0o600]
    assert _raw(db) == before and (tmp_path / "fxbot.key").read_bytes() == old_key
    assert not new_file.exists()  # useless: the database still uses the old key
    async with await Storage.open(db, {}) as storage:
        stored = await storage.keys.find_by_secret("telegram:1", SECRETS["main"])
        assert stored is not None and await storage.keys.reveal(stored.id) == SECRETS["main"]


async def test_a_key_the_old_master_key_cannot_read_rolls_everything_back(tmp_path: Path) -> None:
    db = await _database(tmp_path, {})
    stranger = SecretBox(Fernet.generate_key()).encrypt("sk_test_from_elsewhere_00000001")
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE api_keys SET secret_enc = ? WHERE name = 'desk'", (stranger,))
    before = _raw(db)
    with pytest.raises(MasterKeyMismatchError):
        await _rotate(db, {}, tmp_path / "new.key")
    assert _raw(db) == before and not (tmp_path / "new.key").exists()
    box = SecretBox((tmp_path / "fxbot.key").read_bytes().strip())
    assert box.decrypt(bytes(before[-1][1])) == CANARY_TEXT


async def test_rotation_is_refused_while_the_database_is_open_and_over_an_existing_file(tmp_path: Path) -> None:
    db = await _database(tmp_path, {})
    before = _raw(db)
    async with await Storage.open(db, {}):  # what a running bot holds
        with pytest.raises(DatabaseInUseError, match="stop it first"):
            await _rotate(db, {}, tmp_path / "new.key")
    assert not (tmp_path / "new.key").exists()
    (tmp_path / "taken.key").write_text("something")
    with pytest.raises(RotationError, match="already exists"):
        await _rotate(db, {}, tmp_path / "taken.key")
    assert (tmp_path / "taken.key").read_text() == "something" and _raw(db) == before
