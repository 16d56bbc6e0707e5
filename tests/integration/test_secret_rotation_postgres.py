"""rotate-secret on PostgreSQL: every key re-encrypted under the new master key in one transaction, refused (nothing
changed, no key file left) while another fxbot process is connected to the database or when there is no key."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from fxbot.cli import main
from fxbot.domain.access import Scope
from fxbot.secret_rotation import Rotated, RotationError, rotate_secret
from fxbot.storage import MasterKeyMismatchError, Storage

SECRETS = {"main": "sk_test_rotation_secret_000000001", "desk": "sk_test_rotation_secret_000000002"}


async def _stored(url: str, folder: Path, env: dict[str, str]) -> Path:
    """The keys stored in PostgreSQL; the returned database.path only places fxbot.key (when no env key)."""
    path = folder / "fxbot.db"
    async with await Storage.open(path, env, url=url) as storage:
        for name, secret in SECRETS.items():
            await storage.keys.add("telegram:1", name, secret, Scope.TRADE)
    return path


async def _rotate(path: Path, env: dict[str, str], new: Path, url: str) -> Rotated:
    return await asyncio.to_thread(rotate_secret, path, env, new, url=url)


async def _assert_keys_open_with(url: str, path: Path, env: dict[str, str]) -> None:
    async with await Storage.open(path, env, url=url) as storage:
        for name, secret in SECRETS.items():
            stored = await storage.keys.find_by_secret("telegram:1", secret)  # the lookup digest follows the key
            assert stored is not None and stored.name == name and await storage.keys.reveal(stored.id) == secret


async def test_rotation_on_postgresql_re_encrypts_every_key_and_replaces_the_key_file(
        postgres_url: str, tmp_path: Path) -> None:
    path = await _stored(postgres_url, tmp_path, {})
    old_key = (tmp_path / "fxbot.key").read_bytes()
    done = await _rotate(path, {}, tmp_path / "new.key", postgres_url)
    assert done.keys == 2 and done.installed_as == tmp_path / "fxbot.key"
    assert (tmp_path / "fxbot.key").read_bytes() == (tmp_path / "new.key").read_bytes() != old_key
    await _assert_keys_open_with(postgres_url, path, {})
    (tmp_path / "fxbot.key").write_bytes(old_key)
    with pytest.raises(MasterKeyMismatchError):
        await Storage.open(path, {}, url=postgres_url)  # the old key opens nothing any more


async def test_with_an_environment_key_the_new_key_is_written_out_for_every_process(
        postgres_url: str, tmp_path: Path) -> None:
    env = {"FXBOT_SECRET_KEY": Fernet.generate_key().decode()}
    path = await _stored(postgres_url, tmp_path, env)
    done = await _rotate(path, env, tmp_path / "new.key", postgres_url)
    assert done.installed_as is None and not (tmp_path / "fxbot.key").exists()
    await _assert_keys_open_with(postgres_url, path, {"FXBOT_SECRET_KEY": (tmp_path / "new.key").read_text().strip()})


async def test_rotation_is_refused_while_another_fxbot_process_is_connected(postgres_url: str, tmp_path: Path) -> None:
    path = await _stored(postgres_url, tmp_path, {})
    running = await Storage.open(path, {}, url=postgres_url)  # a bot's connection to the same database
    try:
        with pytest.raises(RotationError, match="other fxbot connection"):
            await _rotate(path, {}, tmp_path / "new.key", postgres_url)
    finally:
        await running.close()
    assert not (tmp_path / "new.key").exists()
    await _assert_keys_open_with(postgres_url, path, {})  # nothing changed: the old key still opens them
    await _rotate(path, {}, tmp_path / "new.key", postgres_url)  # alone now: done
    await _assert_keys_open_with(postgres_url, path, {})


async def test_rotation_without_a_master_key_is_refused_and_leaves_no_key_file(
        postgres_url: str, tmp_path: Path) -> None:
    await _stored(postgres_url, tmp_path / "elsewhere", {})
    path = tmp_path / "fxbot.db"  # a config whose database.path has no fxbot.key beside it
    with pytest.raises(RotationError, match="no master key"):
        await _rotate(path, {}, tmp_path / "new.key", postgres_url)
    assert not (tmp_path / "fxbot.key").exists() and not (tmp_path / "new.key").exists()


async def test_the_command_line_rotates_the_postgresql_database_of_the_config(
        postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name in [n for n in os.environ if n.startswith("FXBOT_")]:
        monkeypatch.delenv(name)
    path = await _stored(postgres_url, tmp_path / "data", {})
    config = tmp_path / "config.yaml"
    config.write_text(f"database:\n  path: data/fxbot.db\n  url: {postgres_url}\nconsole:\n  enabled: true\n",
                      encoding="utf-8")
    new_key = tmp_path / "new.key"
    argv = ["rotate-secret", "--config", str(config), "--new-key-file", str(new_key)]
    assert await asyncio.to_thread(main, argv) == 0
    out = capsys.readouterr().out
    assert "re-encrypted 2 stored key(s)" in out and "now holds the new key" in out and postgres_url not in out
    await _assert_keys_open_with(postgres_url, path, {})
