"""API keys: repository methods, encryption at rest, master key loading and mismatch detection."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from fxbot.domain.access import Scope
from fxbot.storage import (
    DuplicateName,
    InvalidValue,
    KeyNotFound,
    MasterKeyError,
    MasterKeyMismatchError,
    SecretBox,
    Storage,
    load_master_key,
)

SECRET = "sk_live_9Qz7PlaintextMustNeverLeak3f9a"
OTHER = "sk_test_AnotherSecretValue12345678"


def _read_database_files(directory: Path) -> bytes:
    """The raw bytes of the database file and its WAL/SHM companions."""
    return b"".join(p.read_bytes() for p in sorted(directory.glob("fxbot.db*")))


async def test_add_get_list_and_fingerprint(storage: Storage) -> None:
    key = await storage.keys.add("telegram:1", "main", SECRET, Scope.TRADE)
    assert key.owner_id == "telegram:1" and key.name == "main" and key.scope is Scope.TRADE
    assert key.fingerprint == "sk_live_…3f9a"
    assert key.created_at.tzinfo is not None
    assert await storage.keys.get(key.id) == key
    assert await storage.keys.get(key.id + 100) is None
    assert await storage.keys.get_by_name("telegram:1", "main") == key
    assert await storage.keys.get_by_name("telegram:2", "main") is None
    second = await storage.keys.add("telegram:1", "alt", OTHER, Scope.READ_ONLY)
    await storage.keys.add("telegram:2", "main", OTHER, Scope.FULL)  # same name, other owner: fine
    assert [k.name for k in await storage.keys.list_for_owner("telegram:1")] == ["alt", "main"]
    assert second in await storage.keys.list_for_owner("telegram:1")


async def test_duplicate_name_is_a_clear_error_and_changes_nothing(storage: Storage) -> None:
    await storage.keys.add("telegram:1", "main", SECRET, Scope.TRADE)
    with pytest.raises(DuplicateName, match="already have a key named 'main'") as info:
        await storage.keys.add("telegram:1", "main", OTHER, Scope.FULL)
    assert OTHER not in str(info.value)
    assert len(await storage.keys.list_for_owner("telegram:1")) == 1


@pytest.mark.parametrize("bad", ["", "   ", "sk_live_has space", "sk_live_\x00ctl", "x" * 600])
async def test_bad_secret_rejected_without_echo(storage: Storage, bad: str) -> None:
    with pytest.raises(InvalidValue) as info:
        await storage.keys.add("telegram:1", "main", bad, Scope.TRADE)
    assert bad.strip() == "" or bad not in str(info.value)
    assert await storage.keys.list_for_owner("telegram:1") == []


async def test_bad_name_rejected(storage: Storage) -> None:
    for name in ["", "  ", "n" * 65, "bad\nname"]:
        with pytest.raises(InvalidValue):
            await storage.keys.add("telegram:1", name, SECRET, Scope.TRADE)


async def test_reveal_set_scope_and_find_by_secret(storage: Storage) -> None:
    key = await storage.keys.add("telegram:1", "main", SECRET, Scope.TRADE)
    assert await storage.keys.reveal(key.id) == SECRET
    with pytest.raises(KeyNotFound):
        await storage.keys.reveal(key.id + 1)
    await storage.keys.set_scope(key.id, Scope.FULL)
    assert (await storage.keys.get(key.id)).scope is Scope.FULL  # type: ignore[union-attr]
    with pytest.raises(KeyNotFound):
        await storage.keys.set_scope(999, Scope.FULL)
    assert await storage.keys.find_by_secret("telegram:1", SECRET) == await storage.keys.get(key.id)
    assert await storage.keys.find_by_secret("telegram:1", f"  {SECRET}\n") is not None
    assert await storage.keys.find_by_secret("telegram:1", OTHER) is None
    assert await storage.keys.find_by_secret("telegram:2", SECRET) is None


async def test_remove_unbinds_chats_using_the_key(storage: Storage) -> None:
    key = await storage.keys.add("telegram:1", "main", SECRET, Scope.TRADE)
    keep = await storage.keys.add("telegram:1", "keep", OTHER, Scope.TRADE)
    await storage.bindings.bind("telegram:-1", key.id, "telegram:1")
    await storage.bindings.bind("telegram:-2", key.id, "telegram:1")
    await storage.bindings.bind("telegram:-3", keep.id, "telegram:1")
    assert await storage.keys.remove("telegram:2", "main") is False  # not the owner
    assert await storage.keys.remove("telegram:1", "main") is True
    assert await storage.keys.remove("telegram:1", "main") is False
    assert await storage.keys.get(key.id) is None
    assert await storage.bindings.get("telegram:-1") is None
    assert await storage.bindings.get("telegram:-2") is None
    assert await storage.bindings.chats_using_key(keep.id) == ["telegram:-3"]


async def test_secret_never_stored_or_shown_in_plain_text(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    path = tmp_path / "fxbot.db"
    async with await Storage.open(path, {}) as storage:
        key = await storage.keys.add("telegram:1", "main", SECRET, Scope.TRADE)
        assert await storage.keys.reveal(key.id) == SECRET
        assert await storage.keys.find_by_secret("telegram:1", SECRET) is not None
        for shown in (repr(key), str(key), repr(storage), repr(storage.keys), repr(storage.db)):
            assert SECRET not in shown
        rows = await storage.db.fetch_all("SELECT * FROM api_keys")
        for row in rows:
            for value in tuple(row):
                text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
                assert SECRET not in text and SECRET[8:-4] not in text
    raw = _read_database_files(tmp_path)
    assert SECRET.encode() not in raw
    assert SECRET[8:-4].encode() not in raw
    assert SECRET not in caplog.text
    assert SECRET[8:-4] not in caplog.text


def test_secret_box_roundtrip_and_repr() -> None:
    master = Fernet.generate_key()
    box = SecretBox(master)
    token = box.encrypt(SECRET)
    assert SECRET.encode() not in token
    assert box.decrypt(token) == SECRET
    assert master.decode() not in repr(box) and master.decode() not in str(box)
    assert box.lookup_digest(SECRET) == SecretBox(master).lookup_digest(SECRET)
    assert box.lookup_digest(SECRET) != SecretBox(Fernet.generate_key()).lookup_digest(SECRET)
    with pytest.raises(MasterKeyMismatchError, match=r"FXBOT_SECRET_KEY or fxbot\.key changed"):
        SecretBox(Fernet.generate_key()).decrypt(token)


async def test_key_file_created_0600_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "data" / "fxbot.db"
    async with await Storage.open(path, {}) as storage:
        key = await storage.keys.add("telegram:1", "main", SECRET, Scope.TRADE)
    key_file = path.parent / "fxbot.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    first = key_file.read_bytes()
    Fernet(first.strip())  # a valid Fernet key
    async with await Storage.open(path, {}) as storage:
        assert await storage.keys.reveal(key.id) == SECRET
    assert key_file.read_bytes() == first


def test_key_file_with_broad_mode_is_tightened(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    key_file = tmp_path / "fxbot.key"
    master = Fernet.generate_key()
    key_file.write_bytes(master + b"\n")
    os.chmod(key_file, 0o644)
    assert load_master_key(tmp_path / "fxbot.db", {}) == master
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "restricted it to 0600" in caplog.text
    assert master.decode() not in caplog.text


def test_invalid_key_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "fxbot.key").write_text("garbage-value-xyz")
    os.chmod(tmp_path / "fxbot.key", 0o600)
    with pytest.raises(MasterKeyError, match=r"fxbot\.key is not a valid Fernet key") as info:
        load_master_key(tmp_path / "fxbot.db", {})
    assert "garbage-value-xyz" not in str(info.value)


async def test_env_key_used_when_set(tmp_path: Path) -> None:
    master = Fernet.generate_key().decode()
    path = tmp_path / "fxbot.db"
    assert load_master_key(path, {"FXBOT_SECRET_KEY": f" {master}\n"}) == master.encode()
    async with await Storage.open(path, {"FXBOT_SECRET_KEY": master}) as storage:
        key = await storage.keys.add("telegram:1", "main", SECRET, Scope.TRADE)
        token = await storage.db.fetch_value("SELECT secret_enc FROM api_keys WHERE id = ?", (key.id,))
    assert not (tmp_path / "fxbot.key").exists()
    assert Fernet(master.encode()).decrypt(bytes(token)).decode() == SECRET


@pytest.mark.parametrize("value", ["not-a-fernet-key", "", "   "])
def test_invalid_env_key_names_variable_not_value(tmp_path: Path, value: str) -> None:
    with pytest.raises(MasterKeyError, match="FXBOT_SECRET_KEY is") as info:
        load_master_key(tmp_path / "fxbot.db", {"FXBOT_SECRET_KEY": value})
    assert "not-a-fernet-key" not in str(info.value)
    assert info.value.__cause__ is None
    assert info.value.__context__ is None or info.value.__suppress_context__


async def test_wrong_master_key_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "fxbot.db"
    async with await Storage.open(path, {}) as storage:
        await storage.keys.add("telegram:1", "main", SECRET, Scope.TRADE)
    wrong = Fernet.generate_key().decode()
    with pytest.raises(MasterKeyMismatchError) as info:
        await Storage.open(path, {"FXBOT_SECRET_KEY": wrong})
    assert str(info.value) == (
        "the master key does not decrypt stored keys: FXBOT_SECRET_KEY or fxbot.key changed?"
    )
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert wrong not in str(info.value)
    # The right key still works afterwards.
    async with await Storage.open(path, {}) as storage:
        assert len(await storage.keys.list_for_owner("telegram:1")) == 1


async def test_missing_key_file_for_existing_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fxbot.db"
    async with await Storage.open(path, {}) as storage:
        await storage.keys.add("telegram:1", "main", SECRET, Scope.TRADE)
    (tmp_path / "fxbot.key").unlink()
    with pytest.raises(MasterKeyError, match=r"key file .* is missing"):
        await Storage.open(path, {})
    assert not (tmp_path / "fxbot.key").exists()  # no useless new key was written
