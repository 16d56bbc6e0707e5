"""Backup while the bot runs, restore into a fresh folder: the same keys, bindings, alerts, schedules and settings.
The real app and console adapter against the paused simulator; the master key in a key file beside the database."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import stat
import tarfile
from pathlib import Path

import pytest

from fxbot.backup import BackupError, create_backup
from fxbot.restore import restore_backup
from fxbot.simulator.runner import RunningSimulator
from fxbot.storage import Storage
from fxbot.storage.lock import DatabaseInUseError
from fxbot.storage.migrations import MIGRATIONS
from fxbot.version import fxbot_version
from tests.e2e.console_app_driver import ConsoleApp

CONSOLE_CHAT = "console:local"


async def _state(db: Path) -> dict[str, object]:
    """What a restored bot must have: keys (with their secrets), bindings, alert rules, digest schedules, settings."""
    async with await Storage.open(db, {}) as storage:
        keys = await storage.db.fetch_all("SELECT id, owner_id, name, scope, fingerprint FROM api_keys ORDER BY id")
        secrets = [await storage.keys.reveal(int(row["id"])) for row in keys]
        bindings = await storage.db.fetch_all("SELECT chat_id, key_id, account_id FROM chat_bindings ORDER BY chat_id")
        rules = await storage.db.fetch_all("SELECT id, chat_id, symbol, condition, level_points FROM alert_rules")
        digests = await storage.db.fetch_all("SELECT chat_id, kind, hour, minute, timezone FROM digest_schedules")
        settings = await storage.db.fetch_all("SELECT chat_id, timezone FROM chat_settings")
        return {"keys": [tuple(r) for r in keys], "secrets": secrets, "bindings": [tuple(r) for r in bindings],
                "rules": [tuple(r) for r in rules], "digests": [tuple(r) for r in digests],
                "settings": [tuple(r) for r in settings]}


async def test_a_backup_taken_while_the_bot_runs_restores_the_same_bot_elsewhere(
        sim_paused: RunningSimulator, tmp_path: Path) -> None:
    live = tmp_path / "live" / "bot.db"
    bot = ConsoleApp(sim_paused, live, {})  # no FXBOT_SECRET_KEY: the key file beside the database is used
    await bot.start()
    try:
        # The console echoes a line with a key masked, so this one is typed and its answer awaited directly.
        os.write(bot._write_fd, f"/link {sim_paused.keys['full']} desk full\n".encode())
        await bot.wait_for("linked key 'desk'")
        bid = float((await bot.quote("EURUSD"))["bid"])
        assert "Alert #1 set" in await bot.say(f"/alert EURUSD above {bid + 0.0050:.5f}")
        await bot.say("/settings timezone Europe/Berlin")
        assert "08:00" in await bot.say("/digest on 08:00 Europe/Berlin")
        before = await _state(live)
        assert len(before["keys"]) == 2 and before["rules"] and before["digests"]  # type: ignore[arg-type]

        archive = tmp_path / "backups" / "bot.tar.gz"
        moved = bot.move("EURUSD", bid + 0.0001)  # the bot keeps working while the copy is taken
        path, manifest = await asyncio.to_thread(create_backup, live, {}, archive)
        await moved
        assert path == archive and stat.S_IMODE(archive.stat().st_mode) == 0o600
        assert manifest.schema_version == MIGRATIONS[-1].version and manifest.fxbot_version == fxbot_version()
        with tarfile.open(archive) as tar:
            assert tar.getnames() == ["manifest.json", "fxbot.db", "fxbot.key"]
            listed = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
            for name in ("fxbot.db", "fxbot.key"):
                data = tar.extractfile(name).read()  # type: ignore[union-attr]
                assert listed["members"][name]["sha256"] == hashlib.sha256(data).hexdigest()
        assert listed["master_key"] == "file" and listed["created_at"]

        with pytest.raises(DatabaseInUseError, match="in use by a running fxbot"):
            await asyncio.to_thread(restore_backup, archive, live, {}, force=True)
        assert await bot.say("/alerts")  # untouched, still serving
    finally:
        await bot.stop()

    fresh = tmp_path / "fresh" / "bot.db"
    done = await asyncio.to_thread(restore_backup, archive, fresh, {})
    assert done.key_file == fresh.parent / "fxbot.key" and done.set_aside == []
    assert stat.S_IMODE(done.key_file.stat().st_mode) == 0o600
    assert await _state(fresh) == before

    restarted = ConsoleApp(sim_paused, fresh, {})  # and it runs: the restored bot lists the same alert
    await restarted.start()
    try:
        assert "#1 EURUSD bid above" in await restarted.say("/alerts")
    finally:
        await restarted.stop()


async def test_restoring_over_an_existing_database_needs_force_and_keeps_the_old_files(
        sim_paused: RunningSimulator, tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    bot = ConsoleApp(sim_paused, db, {})
    await bot.start()
    await bot.stop()
    archive, _ = await asyncio.to_thread(create_backup, db, {}, tmp_path / "a.tar.gz")
    with pytest.raises(BackupError, match=r"already exist.*--force"):
        await asyncio.to_thread(restore_backup, archive, db, {})
    done = await asyncio.to_thread(restore_backup, archive, db, {}, force=True)
    assert sorted(p.name.split(".before-restore-")[0] for p in done.set_aside) == ["bot.db", "fxbot.key"]
    assert all(p.exists() for p in done.set_aside)
    async with await Storage.open(db, {}) as storage:
        assert await storage.keys.list_for_owner("console:local") is not None
