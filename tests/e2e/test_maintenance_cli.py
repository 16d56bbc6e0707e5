"""`fxbot --version | backup | restore | rotate-secret` from the command line, and `fxbot run` on a database made by a
newer fxbot: exit codes and the one line each prints."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fxbot.cli import main
from fxbot.domain.access import Scope
from fxbot.storage import MIGRATIONS, Migration, Storage
from fxbot.version import fxbot_version

SECRET = "sk_test_cli_backup_secret_000001"


def _config(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.yaml"
    config.write_text("database:\n  path: data/fxbot.db\nconsole:\n  enabled: true\n", encoding="utf-8")
    return config


def _database(path: Path, migrations: tuple[Migration, ...] = MIGRATIONS) -> None:
    async def make() -> None:
        async with await Storage.open(path, {}, migrations=migrations) as storage:
            await storage.keys.add("console:local", "main", SECRET, Scope.TRADE)

    asyncio.run(make())


def _secret(path: Path) -> str:
    async def read() -> str:
        async with await Storage.open(path, {}) as storage:
            stored = await storage.keys.find_by_secret("console:local", SECRET)
            assert stored is not None
            return await storage.keys.reveal(stored.id)

    return asyncio.run(read())


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("FXBOT_")]:
        monkeypatch.delenv(name)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"fxbot {fxbot_version()}"


def test_backup_restore_and_rotate_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    live = _config(tmp_path / "live")
    _database(tmp_path / "live" / "data" / "fxbot.db")
    archive = tmp_path / "b.tar.gz"
    assert main(["backup", "--config", str(live), "--out", str(archive)]) == 0
    out = capsys.readouterr().out
    assert f"backup written to {archive}" in out and "the master key file" in out and SECRET not in out

    fresh = _config(tmp_path / "fresh")
    assert main(["restore", str(archive), "--config", str(fresh)]) == 0
    assert f"restored {tmp_path / 'fresh' / 'data' / 'fxbot.db'}" in capsys.readouterr().out
    assert main(["restore", str(archive), "--config", str(fresh)]) == 1
    assert "already exist" in capsys.readouterr().err

    new_key = tmp_path / "new.key"
    assert main(["rotate-secret", "--config", str(fresh), "--new-key-file", str(new_key)]) == 0
    out = capsys.readouterr().out
    assert "re-encrypted 1 stored key(s)" in out and "now holds the new key" in out
    assert _secret(tmp_path / "fresh" / "data" / "fxbot.db") == SECRET
    assert main(["rotate-secret", "--config", str(fresh), "--new-key-file", str(new_key)]) == 1
    assert "already exists" in capsys.readouterr().err

    assert main(["backup", "--config", str(_config(tmp_path / "empty"))]) == 1
    assert "there is no database" in capsys.readouterr().err


def test_run_refuses_a_database_from_a_newer_fxbot_in_one_line(tmp_path: Path) -> None:
    config = _config(tmp_path)
    future = Migration(len(MIGRATIONS) + 1, "from the future", "CREATE TABLE future_things (x INTEGER)")
    _database(tmp_path / "data" / "fxbot.db", (*MIGRATIONS, future))
    env = {k: v for k, v in os.environ.items() if not k.startswith("FXBOT_")} | {"HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "fxbot.cli", "run", "--config", str(config)], cwd=tmp_path,
                          env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert f"schema version {future.version} but this fxbot only knows up to version {MIGRATIONS[-1].version}" \
        in lines[0] and "Traceback" not in done.stderr
