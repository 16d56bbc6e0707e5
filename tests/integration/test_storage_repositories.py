"""Bindings, members, chat settings, audit log, move_chat and persistence on a real SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from fxbot.domain.access import Role, Scope
from fxbot.storage import ChatSettings, InvalidValue, KeyNotFound, NotBound, Storage
from tests.postgres_server import postgres_or_none

T0 = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
CHAT = "telegram:-1001234"
ADMIN = "telegram:42"


class StepClock:
    """A clock that moves one second per reading."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
async def storage(tmp_path: Path, database_url: str) -> AsyncIterator[Storage]:
    """A Storage on each backend (SQLite file, PostgreSQL database)."""
    opened = await Storage.open(tmp_path / "fxbot.db", {}, clock=StepClock(), url=postgres_or_none(database_url))
    yield opened
    await opened.close()


async def _key(storage: Storage, name: str = "main") -> int:
    key = await storage.keys.add(ADMIN, name, f"sk_test_{name}_0123456789abcdef", Scope.TRADE)
    return key.id


# -- bindings -------------------------------------------------------------------------------------


async def test_bind_get_replace_set_account_unbind(storage: Storage) -> None:
    k1, k2 = await _key(storage, "one"), await _key(storage, "two")
    assert await storage.bindings.get(CHAT) is None
    first = await storage.bindings.bind(CHAT, k1, ADMIN)
    assert (first.chat_id, first.key_id, first.account_id, first.bound_by) == (CHAT, k1, None, ADMIN)
    assert first.bound_at > T0
    second = await storage.bindings.bind(CHAT, k2, "telegram:7", account_id="acc_2")
    assert await storage.bindings.get(CHAT) == second
    assert (second.key_id, second.account_id, second.bound_by) == (k2, "acc_2", "telegram:7")
    await storage.bindings.set_account(CHAT, "acc_9")
    assert (await storage.bindings.get(CHAT)).account_id == "acc_9"  # type: ignore[union-attr]
    await storage.bindings.set_account(CHAT, None)
    assert (await storage.bindings.get(CHAT)).account_id is None  # type: ignore[union-attr]
    await storage.bindings.bind("discord:5", k2, ADMIN)
    assert await storage.bindings.chats_using_key(k2) == ["discord:5", CHAT]
    assert await storage.bindings.chats_using_key(k1) == []
    assert await storage.bindings.unbind(CHAT) is True
    assert await storage.bindings.unbind(CHAT) is False
    assert await storage.bindings.get(CHAT) is None


async def test_bind_errors_are_clear(storage: Storage) -> None:
    with pytest.raises(KeyNotFound):
        await storage.bindings.bind(CHAT, 12345, ADMIN)
    with pytest.raises(NotBound, match=CHAT):
        await storage.bindings.set_account(CHAT, "acc_1")


# -- members --------------------------------------------------------------------------------------


async def test_member_roles(storage: Storage) -> None:
    assert await storage.members.get(CHAT, ADMIN) is None
    seen = await storage.members.ensure(CHAT, ADMIN, "Alice", Role.VIEWER)
    assert seen.role is Role.VIEWER and seen.display_name == "Alice"
    promoted = await storage.members.set_role(CHAT, ADMIN, Role.ADMIN, "Alice")
    assert promoted.role is Role.ADMIN and promoted.updated_at > seen.updated_at
    again = await storage.members.ensure(CHAT, ADMIN, "Alice", Role.VIEWER)
    assert again == promoted  # role kept, unchanged name leaves the row alone
    renamed = await storage.members.ensure(CHAT, ADMIN, "@alice_fx", Role.VIEWER)
    assert renamed.role is Role.ADMIN and renamed.display_name == "@alice_fx"
    assert await storage.members.get("telegram:-1", ADMIN) is None  # roles are per chat


async def test_member_list_find_and_count(storage: Storage) -> None:
    await storage.members.set_role(CHAT, "telegram:1", Role.ADMIN, "Bob")
    await storage.members.set_role(CHAT, "telegram:2", Role.TRADER, "@Carol")
    await storage.members.ensure(CHAT, "telegram:3", "carol", Role.VIEWER)
    await storage.members.set_role(CHAT, "telegram:4", Role.ADMIN, "Dave")
    await storage.members.set_role("discord:1", "discord:9", Role.ADMIN, "Eve")
    members = await storage.members.list(CHAT)
    assert [m.user_id for m in members] == ["telegram:1", "telegram:4", "telegram:2", "telegram:3"]
    assert await storage.members.count_admins(CHAT) == 2
    assert await storage.members.count_admins("console:local") == 0
    for query in ("carol", "@CAROL", "Carol"):
        found = await storage.members.find_by_name(CHAT, query)
        assert [m.user_id for m in found] == ["telegram:2", "telegram:3"]
    assert await storage.members.find_by_name(CHAT, "@") == []
    assert await storage.members.find_by_name(CHAT, "eve") == []


# -- settings -------------------------------------------------------------------------------------


async def test_settings_defaults_and_updates(storage: Storage) -> None:
    assert await storage.settings.get(CHAT) == ChatSettings(chat_id=CHAT)
    s = await storage.settings.set_confirm(CHAT, "above", 2.5)
    assert (s.confirm_mode, s.confirm_above) == ("above", 2.5)
    s = await storage.settings.set_timezone(CHAT, "Europe/London")
    assert (s.confirm_mode, s.confirm_above, s.timezone) == ("above", 2.5, "Europe/London")
    s = await storage.settings.set_confirm(CHAT, "always")
    assert (s.confirm_mode, s.confirm_above) == ("always", None)
    s = await storage.settings.set_confirm(CHAT, None)
    assert s.confirm_mode is None
    await storage.settings.set_value(CHAT, "notify", "silent")
    assert await storage.settings.get_value(CHAT, "notify") == "silent"
    assert (await storage.settings.get(CHAT)).extra == {"notify": "silent"}
    await storage.settings.set_value(CHAT, "notify", None)
    assert await storage.settings.get_value(CHAT, "notify") is None
    assert (await storage.settings.set_timezone(CHAT, None)).timezone is None


@pytest.mark.parametrize(
    ("mode", "above"),
    [("sometimes", None), ("above", None), ("above", 0.0), ("above", float("nan")), ("never", 1.0)],
)
async def test_bad_confirm_settings_change_nothing(storage: Storage, mode: str, above: float | None) -> None:
    await storage.settings.set_confirm(CHAT, "never")
    with pytest.raises(InvalidValue):
        await storage.settings.set_confirm(CHAT, mode, above)
    assert (await storage.settings.get(CHAT)).confirm_mode == "never"


async def test_bad_timezone_and_value_rejected(storage: Storage) -> None:
    with pytest.raises(InvalidValue, match="unknown timezone 'Mars/Olympus'"):
        await storage.settings.set_timezone(CHAT, "Mars/Olympus")
    with pytest.raises(InvalidValue):
        await storage.settings.set_value(CHAT, "", "x")
    assert await storage.settings.get(CHAT) == ChatSettings(chat_id=CHAT)


# -- audit ----------------------------------------------------------------------------------------


async def test_audit_record_recent_and_order_ref(storage: Storage) -> None:
    plus2 = timezone(timedelta(hours=2))
    first = await storage.audit.record(CHAT, ADMIN, "/buy EURUSD 0.1", True, "ord_1 filled", 12.5, T0,
                                       order_ref="ord_1")
    second = await storage.audit.record(CHAT, ADMIN, "/close pos_9", False, "rejected", 3.0,
                                        (T0 + timedelta(hours=3)).astimezone(plus2))
    await storage.audit.record("discord:1", ADMIN, "/buy", True, "ok", 1.0, T0 + timedelta(hours=5))
    recent = await storage.audit.recent(CHAT, 10)
    assert [e.id for e in recent] == [second, first]
    assert recent[0].at == T0 + timedelta(hours=3) and recent[0].at.tzinfo is not None
    assert (recent[1].ok, recent[1].latency_ms, recent[1].order_ref) == (True, 12.5, "ord_1")
    assert recent[0].ok is False and recent[0].order_ref is None
    assert [e.id for e in await storage.audit.recent(CHAT, 1)] == [second]
    entry = await storage.audit.by_order_ref("ord_1")
    assert entry is not None and entry.id == first and entry.user_id == ADMIN
    assert await storage.audit.by_order_ref("ord_unknown") is None


async def test_audit_redacts_keys_and_rejects_naive_times(storage: Storage) -> None:
    entry_id = await storage.audit.record(CHAT, ADMIN, "/key add main sk_live_SECRETSECRET", True,
                                          "stored sk_live_SECRETSECRET", 1.0, T0)
    raw = await storage.db.fetch_one("SELECT command, result FROM audit_log WHERE id = ?", (entry_id,))
    assert raw is not None
    assert tuple(raw) == ("/key add main sk_live_***", "stored sk_live_***")
    with pytest.raises(InvalidValue, match="timezone-aware"):
        await storage.audit.record(CHAT, ADMIN, "/x", True, "ok", 1.0, datetime(2025, 1, 1))
    with pytest.raises(InvalidValue):
        await storage.audit.record(CHAT, ADMIN, "/x", True, "ok", -1.0, T0)
    assert len(await storage.audit.recent(CHAT, 10)) == 1


# -- move_chat and persistence --------------------------------------------------------------------


async def test_move_chat_moves_everything_in_one_go(storage: Storage) -> None:
    old, new = "telegram:-1234", "telegram:-1001234"
    key_id = await _key(storage)
    await storage.bindings.bind(old, key_id, ADMIN, account_id="acc_1")
    await storage.members.set_role(old, ADMIN, Role.ADMIN, "Alice")
    await storage.members.set_role(old, "telegram:7", Role.TRADER, "Bob")
    await storage.members.ensure(new, ADMIN, "Alice", Role.VIEWER)  # seen in the new chat first
    await storage.settings.set_timezone(old, "Asia/Tokyo")
    await storage.settings.set_value(old, "notify", "on")
    await storage.audit.record(old, ADMIN, "/buy", True, "ok", 1.0, T0, order_ref="ord_5")

    moved = await storage.move_chat(old, new)
    assert moved == 6  # binding, 2 members, settings row, 1 value, 1 audit row
    binding = await storage.bindings.get(new)
    assert binding is not None and (binding.key_id, binding.account_id) == (key_id, "acc_1")
    assert await storage.bindings.get(old) is None
    assert (await storage.members.get(new, ADMIN)).role is Role.ADMIN  # type: ignore[union-attr]
    assert await storage.members.count_admins(new) == 1
    assert len(await storage.members.list(new)) == 2 and await storage.members.list(old) == []
    settings = await storage.settings.get(new)
    assert settings.timezone == "Asia/Tokyo" and settings.extra == {"notify": "on"}
    assert (await storage.audit.by_order_ref("ord_5")).chat_id == new  # type: ignore[union-attr]
    assert await storage.move_chat(new, new) == 0
    with pytest.raises(InvalidValue):
        await storage.move_chat("", new)


async def test_everything_survives_close_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "fxbot.db"
    async with await Storage.open(path, {}) as storage:
        key_id = await _key(storage)
        await storage.bindings.bind(CHAT, key_id, ADMIN, account_id="acc_3")
        await storage.members.set_role(CHAT, ADMIN, Role.ADMIN, "Alice")
        await storage.settings.set_confirm(CHAT, "above", 1.5)
        await storage.settings.set_value(CHAT, "digest", "daily")
        await storage.audit.record(CHAT, ADMIN, "/bind main", True, "bound", 2.0, T0)
    async with await Storage.open(path, {}) as storage:
        binding = await storage.bindings.get(CHAT)
        assert binding is not None and (binding.key_id, binding.account_id) == (key_id, "acc_3")
        member = await storage.members.get(CHAT, ADMIN)
        assert member is not None and member.role is Role.ADMIN
        settings = await storage.settings.get(CHAT)
        assert (settings.confirm_mode, settings.confirm_above, settings.extra) == ("above", 1.5,
                                                                                   {"digest": "daily"})
        assert [e.command for e in await storage.audit.recent(CHAT, 5)] == ["/bind main"]
        assert await storage.keys.reveal(key_id) == "sk_test_main_0123456789abcdef"
