"""`fxbot migrate-db`: an SQLite installation filled through the real repositories is copied, verified and readable
on the target with the same master key; a target with data, a running bot and a failed copy are refused cleanly."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from fxbot.alerts.repository import AlertRepository
from fxbot.alerts.rules import AccountMetric, AccountRule, FireState, Mode, PriceCondition, PriceRule, PriceSide
from fxbot.chat.types import ChatKind
from fxbot.cli import main
from fxbot.domain.access import Role, Scope
from fxbot.domain.broker import Side
from fxbot.management.rules import ManagedRule, RuleKind
from fxbot.management.store import ManagedStopStore
from fxbot.migrate_db import MigrateDbError, migrate_db, shown_url
from fxbot.notify.outbox import Outbox
from fxbot.notify.preferences import NotificationPreferences
from fxbot.scheduling.schedule_store import DigestSchedule, DigestScheduleStore
from fxbot.storage import Database, Storage
from fxbot.storage.lock import DatabaseInUseError
from tests.postgres_server import postgres_or_none
from tests.unit.notify.factories import note

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
GROUP = "telegram:-100123"
ADMIN = "telegram:42"
SECRETS = {"main": "sk_test_main_0123456789abcdef", "second": "sk_test_second_0123456789abcdef"}


@dataclass
class Target:
    """Where the copy goes: a URL for migrate_db and how to open it (as a Database, or as fxbot's Storage)."""

    url: str
    open_database: Callable[[str], Awaitable[Database]]
    open_storage: Callable[[dict[str, str]], Awaitable[Storage]]


@pytest.fixture
def master_key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture
async def target(database_url: str, tmp_path: Path) -> AsyncIterator[Target]:
    """The target of each backend: a fresh SQLite path, or a fresh PostgreSQL database at the latest schema."""
    key_dir = tmp_path / "target"
    url = postgres_or_none(database_url)

    async def open_database(location: str) -> Database:
        return await Database.open(location)

    async def open_storage(env: dict[str, str]) -> Storage:
        return await Storage.open(key_dir / "fxbot.db" if url else Path(database_url), env, url=url)

    yield Target(database_url, open_database, open_storage)


def price_rule(level_points: int, **fields: object) -> PriceRule:
    values: dict[str, object] = {
        "id": 0, "chat_id": GROUP, "owner_id": ADMIN, "account_id": "acc_1", "created_at": T0, "symbol": "EURUSD",
        "digits": 5, "side": PriceSide.BID, "condition": PriceCondition.CROSS_UP, "level_points": level_points,
        "state": FireState(last_points=108_500)}
    values.update(fields)
    return PriceRule(**values)  # type: ignore[arg-type]


async def fill_source(path: Path, env: dict[str, str]) -> dict[str, object]:
    """An installation with a bit of everything, written through the repositories the bot uses."""
    async with await Storage.open(path, env) as storage:
        main = await storage.keys.add(ADMIN, "main", SECRETS["main"], Scope.TRADE)
        second = await storage.keys.add(ADMIN, "second", SECRETS["second"], Scope.READ_ONLY)
        dropped = await storage.keys.add(ADMIN, "dropped", "sk_test_dropped_0123456789abcdef", Scope.FULL)
        await storage.keys.remove(ADMIN, "dropped")  # the highest id is gone: the target must not hand it out again
        await storage.bindings.bind(GROUP, main.id, ADMIN, account_id="acc_1")
        await storage.bindings.bind("telegram:7", second.id, ADMIN)
        await storage.members.set_role(GROUP, ADMIN, Role.ADMIN, "Alice")
        await storage.members.set_role(GROUP, "telegram:43", Role.TRADER, "Bob")
        await storage.settings.set_timezone(GROUP, "Europe/London")
        await storage.audit.record(GROUP, ADMIN, "/buy EURUSD 0.1", True, "filled", 12.5, T0, order_ref="o_1")
        alerts = AlertRepository(storage.db)
        once = await alerts.add(price_rule(109_000, note="breakout"))
        repeat = await alerts.add(price_rule(108_000, mode=Mode.REPEAT, repeat_minutes=5,
                                             condition=PriceCondition.BELOW))
        await alerts.add(AccountRule(id=0, chat_id=GROUP, owner_id=ADMIN, account_id="acc_1", created_at=T0,
                                     metric=AccountMetric.MARGIN_LEVEL, threshold=150))
        await alerts.save_state(repeat.id, FireState(armed=False, last_points=107_990, fire_seq=2, last_fired_at=T0))
        outbox = Outbox(storage.db)
        assert await outbox.enqueue(note(GROUP, f"alert:{once.id}:1", title="EURUSD above 1.09"),
                                    chat_kind=ChatKind.GROUP)
        await NotificationPreferences(storage.db).set(GROUP, "order_placed", "silent")
        await DigestScheduleStore(storage.db).save(DigestSchedule(
            GROUP, "daily", 21, 30, "Europe/London", ChatKind.GROUP, None, ADMIN, T0))
        await ManagedStopStore(storage.db).upsert(ManagedRule(
            id=0, chat_id=GROUP, owner_id=ADMIN, private_chat=False, key_id=main.id, account_id="acc_1",
            position_id="pos_1", symbol="EURUSD", side=Side.BUY, volume=0.3, entry_points=108_000,
            kind=RuleKind.TRAIL, created_at=T0, distance_points=200, step_points=50))
        return {
            "keys": await storage.keys.list_for_owner(ADMIN),
            "bindings": [await storage.bindings.get(GROUP), await storage.bindings.get("telegram:7")],
            "members": await storage.members.list(GROUP),
            "alerts": await alerts.list_for_chat(GROUP, now=T0),
            "outbox": [item.notification for item in await outbox.pending()],
            "schedules": await DigestScheduleStore(storage.db).all(),
            "stops": await ManagedStopStore(storage.db).all(),
            "audit": await storage.audit.recent(GROUP),
            "highest_key_id": dropped.id,
        }


async def read_back(storage: Storage) -> dict[str, object]:
    keys = await storage.keys.list_for_owner(ADMIN)
    return {
        "keys": keys,
        "bindings": [await storage.bindings.get(GROUP), await storage.bindings.get("telegram:7")],
        "members": await storage.members.list(GROUP),
        "alerts": await AlertRepository(storage.db).list_for_chat(GROUP, now=T0),
        "outbox": [item.notification for item in await Outbox(storage.db).pending()],
        "schedules": await DigestScheduleStore(storage.db).all(),
        "stops": await ManagedStopStore(storage.db).all(),
        "audit": await storage.audit.recent(GROUP),
    }


async def test_a_filled_installation_reads_the_same_on_the_target_with_the_same_master_key(
        tmp_path: Path, target: Target, master_key: str) -> None:
    source = tmp_path / "source" / "fxbot.db"
    before = await fill_source(source, {})  # the key file beside the database, as by default
    lines: list[str] = []

    report = await migrate_db(source, target.url, {}, open_target=target.open_database, batch_rows=2,
                              progress=lines.append)

    tables = {copy.name: copy for copy in report.tables}
    assert all(copy.source_rows == copy.target_rows for copy in report.tables)
    assert (tables["api_keys"].target_rows, tables["alert_rules"].target_rows, tables["chat_bindings"].target_rows) \
        == (2, 3, 2)
    names = [copy.name for copy in report.tables]
    assert names.index("api_keys") < names.index("chat_bindings")  # parents before children
    assert names.index("alert_rules") < names.index("alert_threads")
    assert "schema_migrations" not in names and "api_keys: 2 rows" in lines
    key = (source.parent / "fxbot.key").read_text().strip()
    async with await target.open_storage({"FXBOT_SECRET_KEY": key}) as storage:
        after = await read_back(storage)
        assert {k: v for k, v in before.items() if k != "highest_key_id"} == after
        assert [await storage.keys.reveal(k.id) for k in await storage.keys.list_for_owner(ADMIN)] == \
            [SECRETS["main"], SECRETS["second"]]
        added = await storage.keys.add(ADMIN, "new", "sk_test_new_0123456789abcdef", Scope.TRADE)
        assert added.id > int(str(before["highest_key_id"]))  # ids handed out before are never reused


async def test_a_target_holding_data_is_refused_and_left_as_it_was(tmp_path: Path, target: Target) -> None:
    source = tmp_path / "source" / "fxbot.db"
    await fill_source(source, {})
    await migrate_db(source, target.url, {}, open_target=target.open_database)
    with pytest.raises(MigrateDbError, match=r"already holds fxbot data: .*api_keys \(2 rows\)"):
        await migrate_db(source, target.url, {}, open_target=target.open_database)
    db = await target.open_database(target.url)
    try:
        assert await db.fetch_value("SELECT COUNT(*) FROM api_keys") == 2
    finally:
        await db.close()


async def test_a_target_fxbot_was_only_started_on_is_filled_and_takes_the_source_master_key(
        tmp_path: Path, target: Target, master_key: str) -> None:
    source = tmp_path / "source" / "fxbot.db"
    await fill_source(source, {})
    async with await target.open_storage({"FXBOT_SECRET_KEY": master_key}):
        pass  # started once with another key: its key check row is there, no data
    await migrate_db(source, target.url, {})
    key = (source.parent / "fxbot.key").read_text().strip()
    async with await target.open_storage({"FXBOT_SECRET_KEY": key}) as storage:
        assert [await storage.keys.reveal(k.id) for k in await storage.keys.list_for_owner(ADMIN)] == \
            [SECRETS["main"], SECRETS["second"]]


async def test_a_copy_that_fails_half_way_leaves_the_target_without_data(tmp_path: Path, target: Target) -> None:
    source = tmp_path / "source" / "fxbot.db"
    await fill_source(source, {})
    copied: list[str] = []

    def fail_after_three_tables(line: str) -> None:
        copied.append(line)
        if len(copied) == 3:
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        await migrate_db(source, target.url, {}, open_target=target.open_database, progress=fail_after_three_tables)
    db = await target.open_database(target.url)
    try:
        for table in ("api_keys", "alert_rules", "chat_bindings", "notify_outbox", "storage_meta"):
            assert await db.fetch_value(f"SELECT COUNT(*) FROM {table}") == 0, table
    finally:
        await db.close()
    report = await migrate_db(source, target.url, {}, open_target=target.open_database)  # a retry just works
    assert report.total_rows > 0


async def test_a_running_bot_is_refused_unless_live(tmp_path: Path, target: Target) -> None:
    source = tmp_path / "source" / "fxbot.db"
    await fill_source(source, {})
    bot = await Storage.open(source, {})  # a bot holds the database open
    try:
        with pytest.raises(DatabaseInUseError, match="stop it first"):
            await migrate_db(source, target.url, {}, open_target=target.open_database)
        await bot.keys.add(ADMIN, "later", "sk_test_later_0123456789abcdef", Scope.TRADE)
        report = await migrate_db(source, target.url, {}, live=True, open_target=target.open_database)
        assert {c.name: c.target_rows for c in report.tables}["api_keys"] == 3
    finally:
        await bot.close()


async def test_a_master_key_that_does_not_fit_is_refused_before_anything_is_written(
        tmp_path: Path, target: Target, master_key: str) -> None:
    source = tmp_path / "source" / "fxbot.db"
    await fill_source(source, {})
    with pytest.raises(MigrateDbError, match="does not decrypt the stored keys"):
        await migrate_db(source, target.url, {"FXBOT_SECRET_KEY": master_key}, open_target=target.open_database)
    db = await target.open_database(target.url)
    try:
        assert await db.fetch_value("SELECT COUNT(*) FROM api_keys") == 0
    finally:
        await db.close()


async def test_a_missing_source_is_a_clear_error(tmp_path: Path, target: Target) -> None:
    with pytest.raises(MigrateDbError, match="there is no database at"):
        await migrate_db(tmp_path / "nope.db", target.url, {}, open_target=target.open_database)


async def test_the_command_copies_from_the_config_database_and_prints_each_count(
        tmp_path: Path, postgres_url: str) -> None:
    source = tmp_path / "data" / "fxbot.db"
    await fill_source(source, {})
    config = tmp_path / "config.yaml"
    config.write_text(f"database:\n  path: {source}\n  url: {postgres_url}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FXBOT_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "fxbot.cli", "migrate-db", "--config", str(config),  # --to: the config's url
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env, cwd=tmp_path)
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()
    text = out.decode()
    assert re.search(r"api_keys\s+2 rows \(source 2\)", text), text
    assert re.search(r"alert_rules\s+3 rows \(source 3\)", text), text
    assert "every count matches" in text and "same master key" in text


def test_the_command_says_what_is_wrong_with_its_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate-db", "--from", "fxbot.db", "--to", "mysql://u:hunter2@host/db"]) == 2
    err = capsys.readouterr().err
    assert "must be a postgresql:// URL" in err and "hunter2" not in err
    assert main(["migrate-db", "--to", "postgresql://u@host/db"]) == 2
    assert "--from PATH or --config FILE" in capsys.readouterr().err
    assert main(["migrate-db", "--from", "fxbot.db"]) == 2
    assert "must be a postgresql:// URL, got nothing" in capsys.readouterr().err
    assert shown_url("postgresql://fx:hunter2@db:5432/fxbot") == "postgresql://fx:***@db:5432/fxbot"
