"""A database from every earlier migration opens with the current code and upgrades with its rows intact; a database
from a newer fxbot is refused with a clear message, and `fxbot run` says so in one line.

Each database is built by applying migrations 1..k and inserting representative rows of every table that exists at
k (with the SQL of that time), then opened with the current code."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from fxbot.domain.access import Role, Scope
from fxbot.notify.outbox import Outbox
from fxbot.storage import MIGRATIONS, Database, Migration, SchemaTooNewError, Storage

ENV: dict[str, str] = {}
SECRET = "sk_test_upgrade_secret_000000001"
AT = "2026-04-02T14:30:00+00:00"

Insert = Callable[[Storage], Awaitable[None]]


async def _v1(storage: Storage) -> None:
    key = await storage.keys.add("telegram:1", "main", SECRET, Scope.TRADE)
    db = storage.db
    await db.execute("INSERT INTO chat_bindings VALUES ('telegram:-100', ?, 'acc-1', 'telegram:1', ?)", (key.id, AT))
    await db.execute("INSERT INTO chat_members VALUES ('telegram:-100', 'telegram:1', 'Alice', 'alice', 'admin', ?)",
                     (AT,))
    await db.execute("INSERT INTO chat_settings VALUES ('telegram:-100', 'above', 0.5, 'Europe/Berlin')")
    await db.execute("INSERT INTO chat_setting_values VALUES ('telegram:-100', 'pips', 'on')")
    await db.execute("INSERT INTO audit_log (at, chat_id, user_id, command, ok, result, latency_ms, order_ref)"
                     " VALUES (?, 'telegram:-100', 'telegram:1', '/buy EURUSD 0.1', 1, 'filled', 12.5, 'ord-1')", (AT,))


async def _v2(storage: Storage) -> None:
    await storage.db.execute(
        "INSERT INTO alert_rules (chat_id, owner_id, account_id, kind, created_at, symbol, digits, side, condition,"
        " level_points, mode) VALUES ('telegram:-100', 'telegram:1', 'acc-1', 'price', ?, 'EURUSD', 5, 'bid',"
        " 'above', 109000, 'once')", (AT,))
    await storage.db.execute(
        "INSERT INTO alert_rules (chat_id, owner_id, account_id, kind, created_at, metric, threshold, percent, mode)"
        " VALUES ('telegram:-100', 'telegram:1', 'acc-1', 'account', ?, 'margin_level', 150, 1, 'every')", (AT,))


async def _v3(storage: Storage) -> None:
    await storage.db.execute(
        "INSERT INTO notify_outbox (dedupe_key, chat_id, platform, thread_id, chat_kind, severity, kind, title,"
        " lines_json, silent, created_at, enqueued_at) VALUES ('alert:1:0', 'telegram:-100', 'telegram', NULL,"
        " 'group', 0, 'price_alert', 'EURUSD is above 1.09000', '[\"Alert #1\"]', 0, ?, ?)", (AT, AT))
    await storage.db.execute("INSERT INTO notification_preferences VALUES ('telegram:-100', 'fills', 'silent')")


async def _v4(storage: Storage) -> None:
    await storage.db.execute(
        "INSERT INTO digest_schedules (chat_id, kind, hour, minute, timezone, chat_kind, created_by, created_at)"
        " VALUES ('telegram:-100', 'daily', 8, 0, 'Europe/Berlin', 'group', 'telegram:1', ?)", (AT,))


async def _v5(storage: Storage) -> None:
    await storage.db.execute(
        "INSERT INTO notify_outbox (dedupe_key, chat_id, platform, chat_kind, severity, kind, title, lines_json,"
        " silent, created_at, enqueued_at, image, image_name) VALUES ('digest:1', 'telegram:-100', 'telegram',"
        " 'group', 0, 'digest', 'Daily digest', '[]', 1, ?, ?, x'89504e47', 'equity.png')", (AT, AT))


async def _v6(storage: Storage) -> None:
    await storage.db.execute("INSERT INTO alert_threads VALUES (1, '42')")


async def _v7(storage: Storage) -> None:
    await storage.db.execute("INSERT INTO blocked_chats VALUES ('discord:7', 'Missing Access', ?)", (AT,))


async def _v8(storage: Storage) -> None:
    await storage.db.execute(
        "INSERT INTO webhook_endpoints (name, chat_id, chat_kind, created_by, creator_name, token_hash, created_at)"
        " VALUES ('tv', 'telegram:-100', 'group', 'telegram:1', 'Alice', 'ab12', ?)", (AT,))
    await storage.db.execute("INSERT INTO webhook_requests VALUES (1, 'id:sig-1', ?)", (AT,))


async def _v9(storage: Storage) -> None:
    await storage.db.execute("INSERT INTO guard_limits VALUES ('acc-1', 1, '{\"daily_loss\": 3.0}', 'telegram:1', ?)",
                             (AT,))
    await storage.db.execute("INSERT INTO guard_states VALUES ('acc-1', '2026-04-01', 'blocked', 1000.0, ?, 'loss', ?)",
                             (AT, AT))
    await storage.db.execute("INSERT INTO watchdog_settings VALUES ('telegram:-100', 30)")
    await storage.db.execute("INSERT INTO watchdog_heartbeat VALUES (1, ?)", (AT,))


async def _v10(storage: Storage) -> None:
    await storage.db.execute(
        "INSERT INTO managed_stops (chat_id, owner_id, private_chat, key_id, account_id, position_id, symbol, side,"
        " volume, entry_points, kind, distance_points, step_points, best_points, stop_points, created_at)"
        " VALUES ('telegram:-100', 'telegram:1', 0, 1, 'acc-1', 'pos-1', 'EURUSD', 'BUY', 0.3, 108000, 'trail',"
        " 200, 50, 108300, 108100, ?)", (AT,))


async def _v11(storage: Storage) -> None:
    await storage.db.execute(
        "INSERT INTO alert_actions (rule_id, group_id, chat_id, user_id, user_name, command, created_at)"
        " VALUES (1, 1, 'telegram:-100', 'telegram:1', 'Alice', '/buy EURUSD 0.1', ?)", (AT,))


async def _v12(storage: Storage) -> None:
    await storage.db.execute(
        "INSERT INTO action_tokens (token, chat_id, command, once, created_at, expires_at)"
        " VALUES ('na:abcdefghijklmnop', 'telegram:-100', '/close pos-1', 1, ?, ?)", (AT, AT))
    await storage.db.execute("INSERT INTO alert_snoozes (rule_id, chat_id, until) VALUES (1, 'telegram:-100', ?)",
                             (AT,))
    await storage.db.execute(
        "INSERT INTO notify_outbox (dedupe_key, chat_id, platform, chat_kind, severity, kind, title, lines_json,"
        " silent, created_at, enqueued_at, attempts, actions_json) VALUES ('fill:acc-1:pos-9:position_opened',"
        " 'telegram:-100', 'telegram', 'group', 0, 'fill', 'Position opened', '[]', 0, ?, ?, 0,"
        " '[{\"label\": \"Close\", \"command\": \"/close pos-9\", \"once\": true, \"style\": \"danger\"}]')",
        (AT, AT))


async def _v13(storage: Storage) -> None:
    await storage.db.execute(
        "INSERT INTO notify_outbox (dedupe_key, chat_id, platform, chat_kind, severity, kind, title, lines_json,"
        " silent, created_at, enqueued_at, attempts, claimed_by) VALUES ('alert:13:0', 'telegram:-100',"
        " 'telegram', 'group', 0, 'price_alert', 'EURUSD above 1.09', '[]', 0, ?, ?, 0, 'host:1:ab12')", (AT, AT))
    await storage.db.execute(
        "INSERT INTO notify_delivery_leases (owner, lease_until) VALUES ('host:1:ab12', ?)", (AT,))


async def _v14(storage: Storage) -> None:
    await storage.db.execute(
        "INSERT INTO leases (name, owner, lease_until) VALUES ('partition:7', 'host:1:ab12', ?)", (AT,))


COMPACT_ALERT = '[1,15,"EURUSD",5,"bid","cross",109000,"every",null,"breakout",109012,108990,true,[108900,109100]]'
"""A price alert's compact form as migration 15 stores it (fxbot.alerts.price_alert_payload, layout 1)."""


async def _v15(storage: Storage) -> None:
    await storage.db.execute(
        "INSERT INTO notify_outbox (dedupe_key, chat_id, platform, chat_kind, severity, kind, title, lines_json,"
        " silent, created_at, enqueued_at, attempts, price_alert_json) VALUES ('alert:15:2', 'telegram:-100',"
        " 'telegram', 'group', 0, 'price_alert', '', '[]', 0, ?, ?, 0, ?)", (AT, AT, COMPACT_ALERT))


async def _v16(storage: Storage) -> None:
    await storage.db.execute(
        "INSERT INTO notify_outbox (dedupe_key, chat_id, platform, chat_kind, severity, kind, title, lines_json,"
        " silent, created_at, enqueued_at, attempts) VALUES ('margin:16', 'telegram:-100', 'telegram', 'group', 2,"
        " 'margin', 'Margin call', '[]', 0, ?, ?, 0)", (AT, AT))


ROWS: dict[int, Insert] = {1: _v1, 2: _v2, 3: _v3, 4: _v4, 5: _v5, 6: _v6, 7: _v7, 8: _v8, 9: _v9, 10: _v10, 11: _v11,
                           12: _v12, 13: _v13, 14: _v14, 15: _v15, 16: _v16}
"""Per migration, representative rows of what it added (written with the SQL of that version)."""


def test_every_migration_has_representative_rows() -> None:
    missing = sorted({m.version for m in MIGRATIONS} - set(ROWS))
    assert not missing, f"add representative rows for migration(s) {missing} to ROWS in this test"


def _dump(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Every user table's rows (all columns), in rowid order, read without fxbot."""
    connection = sqlite3.connect(path)
    connection.row_factory = sqlite3.Row
    try:
        tables = [r[0] for r in connection.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " AND name NOT IN ('schema_migrations') ORDER BY name")]
        return {t: [dict(r) for r in connection.execute(f'SELECT * FROM "{t}" ORDER BY rowid')] for t in tables}
    finally:
        connection.close()


@pytest.mark.parametrize("version", [m.version for m in MIGRATIONS[:-1]])
async def test_a_database_from_an_earlier_migration_upgrades_with_its_rows(tmp_path: Path, version: int) -> None:
    path = tmp_path / "fxbot.db"
    async with await Storage.open(path, ENV, migrations=MIGRATIONS[:version]) as old:
        for step in range(1, version + 1):
            await ROWS[step](old)
        assert await old.db.schema_version() == version
    before = _dump(path)

    async with await Storage.open(path, ENV) as storage:
        assert await storage.db.schema_version() == MIGRATIONS[-1].version
        stored = await storage.keys.find_by_secret("telegram:1", SECRET)
        assert stored is not None and await storage.keys.reveal(stored.id) == SECRET
        binding = await storage.bindings.get("telegram:-100")
        assert binding is not None and binding.key_id == stored.id and binding.account_id == "acc-1"
        member = await storage.members.get("telegram:-100", "telegram:1")
        assert member is not None and member.role is Role.ADMIN
        assert (await storage.settings.get("telegram:-100")).timezone == "Europe/Berlin"
    after = _dump(path)
    for table, rows in before.items():  # every old row survives, every old column keeps its value
        assert [{k: r[k] for k in row} for r, row in zip(after[table], rows, strict=True)] == rows, table


async def test_a_database_from_a_newer_fxbot_is_refused_and_left_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "fxbot.db"
    future = Migration(len(MIGRATIONS) + 1, "from the future", "CREATE TABLE future_things (x INTEGER)")
    async with await Storage.open(path, ENV, migrations=(*MIGRATIONS, future)) as storage:
        await ROWS[1](storage)
    before = _dump(path)
    with pytest.raises(SchemaTooNewError, match=rf"schema version {future.version} but this fxbot only knows up to "
                                                rf"version {MIGRATIONS[-1].version}: upgrade fxbot"):
        await Storage.open(path, ENV)
    assert _dump(path) == before
    db = await Database.open(tmp_path / "other.db")  # the refusal released the database's lock file
    await db.close()
    async with await Storage.open(path, ENV, migrations=(*MIGRATIONS, future)):
        pass


async def test_alerts_written_before_the_compact_form_are_still_sent_as_written(tmp_path: Path) -> None:
    path = tmp_path / "fxbot.db"
    async with await Storage.open(path, ENV, migrations=MIGRATIONS[:14]) as old:
        for step in range(1, 15):
            await ROWS[step](old)
    async with await Storage.open(path, ENV) as storage:
        await ROWS[15](storage)
        items = {item.notification.dedupe_key: item.notification for item in await Outbox(storage.db).pending()}
    assert (items["alert:1:0"].title, items["alert:1:0"].lines) == ("EURUSD is above 1.09000", ("Alert #1",))
    assert (items["alert:13:0"].title, items["alert:13:0"].lines) == ("EURUSD above 1.09", ())
    assert [a.command for a in items["fill:acc-1:pos-9:position_opened"].actions] == ["/close pos-9"]
    compact = items["alert:15:2"]
    assert compact.title == "EURUSD crossed 1.09000"
    assert compact.lines == (
        "Bid 1.09012 (alert #15: EURUSD bid cross 1.09000)",
        "This happened while the price stream was disconnected. (last price before the outage 1.08990)",
        "Fires again after the price moves back to 1.08900 or 1.09100.",
        "Note: breakout",
    )
