"""The outbox and notification preferences on a real SQLite file: persistence, dedupe, states."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from fxbot.chat.types import ChatKind
from fxbot.notify.notification import Severity
from fxbot.notify.outbox import Outbox, OutboxState, infer_chat_kind
from fxbot.notify.preferences import EVENT_TYPES, NotificationPreferences
from fxbot.storage import InvalidValue, Storage
from tests.fakes.platforms import builtin_platforms
from tests.unit.notify.factories import T0, note


async def test_migration_3_creates_the_tables(storage: Storage) -> None:
    assert await storage.db.schema_version() >= 3
    assert "notify_outbox" in await storage.db.tables_with_column("dedupe_key")
    assert "notification_preferences" in await storage.db.tables_with_column("event_type")


async def test_enqueue_persists_everything_across_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    n = note("telegram:-100123", "alert:7:0", severity=Severity.CRITICAL, title="Margin 140%",
             lines=("Margin level 140% < 150%", "équité 9 800 €"), silent=True, thread_id="55")
    async with await Storage.open(path, {}) as storage:
        assert await Outbox(storage.db).enqueue(n, chat_kind=ChatKind.GROUP)
    async with await Storage.open(path, {}) as storage:
        [item] = await Outbox(storage.db).pending()
    assert item.notification == n
    assert item.platform == "telegram"
    assert item.chat_kind is ChatKind.GROUP
    assert item.attempts == 0
    ref = item.chat_ref()
    assert (ref.id, ref.platform, ref.kind, ref.thread_id) == ("telegram:-100123", "telegram", ChatKind.GROUP, "55")


async def test_dedupe_key_is_enqueued_once_even_after_delivery(storage: Storage) -> None:
    outbox = Outbox(storage.db)
    woken: list[int] = []
    outbox.add_listener(lambda: woken.append(1))
    assert await outbox.enqueue(note(key="alert:1:0"))
    assert not await outbox.enqueue(note(key="alert:1:0", title="changed"))
    assert woken == [1]  # no wake-up for a duplicate
    [item] = await outbox.pending()
    assert await outbox.mark_sent([item.id]) == 1
    assert not await outbox.enqueue(note(key="alert:1:0"))
    assert await outbox.is_known("alert:1:0")
    assert await outbox.pending() == []


async def test_pending_filters_and_orders(storage: Storage) -> None:
    outbox = Outbox(storage.db)
    for i in range(5):
        await outbox.enqueue(note("telegram:1" if i % 2 else "discord:9", f"k{i}"))
    everything = await outbox.pending()
    assert [i.notification.dedupe_key for i in everything] == [f"k{i}" for i in range(5)]
    later = await outbox.pending(after_id=everything[2].id)
    assert [i.id for i in later] == [everything[3].id, everything[4].id]
    assert [i.notification.dedupe_key for i in await outbox.pending_for("telegram:1")] == ["k1", "k3"]
    assert len(await outbox.pending(limit=2)) == 2


async def test_attempts_failures_and_final_states(storage: Storage) -> None:
    outbox = Outbox(storage.db)
    for i in range(4):
        await outbox.enqueue(note("telegram:1", f"k{i}"))
    a, b, c, d = await outbox.pending()
    await outbox.record_failure([a.id, b.id], "TimeoutError: slow")
    await outbox.record_failure([a.id], "TimeoutError: slow")
    attempts = {i.id: i.attempts for i in await outbox.pending()}
    assert attempts == {a.id: 2, b.id: 1, c.id: 0, d.id: 0}
    assert await outbox.mark_failed([a.id], "gave up") == 1
    assert await outbox.mark_undeliverable([b.id], "blocked") == 1
    assert await outbox.mark_sent([a.id, c.id]) == 1  # a is already final: unchanged
    counts = await outbox.counts()
    assert counts == {OutboxState.PENDING: 1, OutboxState.SENT: 1, OutboxState.UNDELIVERABLE: 1,
                      OutboxState.FAILED: 1}
    assert await outbox.mark_chat_undeliverable("telegram:1", "kicked") == 1
    assert await outbox.pending() == []


async def test_mark_sent_handles_large_id_lists(storage: Storage) -> None:
    outbox = Outbox(storage.db)
    for i in range(1200):
        await outbox.enqueue(note("telegram:1", f"k{i}"))
    ids = [i.id for i in await outbox.pending()]
    assert await outbox.mark_sent(ids) == 1200


async def test_purge_keeps_dedupe_keys_for_30_days(tmp_path: Path) -> None:
    now = [T0]
    async with await Storage.open(tmp_path / "x.db", {}) as storage:
        outbox = Outbox(storage.db, clock=lambda: now[0])
        await outbox.enqueue(note(key="old"))
        await outbox.enqueue(note(key="waiting"))
        old = (await outbox.pending())[0]
        await outbox.mark_sent([old.id])
        now[0] = T0 + timedelta(days=29)
        assert await outbox.purge_finished() == 0
        now[0] = T0 + timedelta(days=31)
        assert await outbox.purge_finished() == 1
        assert await outbox.enqueue(note(key="old"))  # forgotten after the retention
        assert [i.notification.dedupe_key for i in await outbox.pending()] == ["waiting", "old"]
        with pytest.raises(InvalidValue):
            await outbox.purge_finished(timedelta(days=1))


async def test_enqueue_rejects_non_notifications(storage: Storage) -> None:
    with pytest.raises(InvalidValue):
        await Outbox(storage.db).enqueue("hello")  # type: ignore[arg-type]


def test_chat_kind_inference_follows_what_each_platform_declares() -> None:
    rules = builtin_platforms().chat_kinds()
    assert infer_chat_kind("telegram:-100123", rules) is ChatKind.GROUP
    assert infer_chat_kind("telegram:42", rules) is ChatKind.PRIVATE
    assert infer_chat_kind("console:local", rules) is ChatKind.PRIVATE
    assert infer_chat_kind("discord:123", rules) is ChatKind.GROUP
    assert infer_chat_kind("discord:dm:42", rules) is ChatKind.PRIVATE
    # A platform that declares no rule (or none given): a group, the conservative choice.
    assert infer_chat_kind("matrix:@alice", rules) is ChatKind.GROUP
    assert infer_chat_kind("telegram:42") is ChatKind.GROUP


async def test_move_chat_carries_the_outbox_and_preferences(storage: Storage) -> None:
    outbox = Outbox(storage.db)
    prefs = NotificationPreferences(storage.db)
    await outbox.enqueue(note("telegram:-1", "k"))
    await prefs.set("telegram:-1", "sl_hit", "off")
    await storage.move_chat("telegram:-1", "telegram:-1002")
    assert [i.chat_id for i in await outbox.pending()] == ["telegram:-1002"]
    assert (await prefs.get("telegram:-1002"))["sl_hit"] == "off"


# -- preferences ----------------------------------------------------------------------------


async def test_preferences_default_to_on(storage: Storage) -> None:
    prefs = NotificationPreferences(storage.db)
    modes = await prefs.get("telegram:1")
    assert list(modes) == list(EVENT_TYPES)
    assert set(modes.values()) == {"on"}
    assert await prefs.mode("telegram:1", "tp_hit") == "on"


async def test_set_one_type_or_all_fills(storage: Storage) -> None:
    prefs = NotificationPreferences(storage.db)
    modes = await prefs.set("telegram:1", "SL_HIT", "Silent")
    assert modes["sl_hit"] == "silent" and modes["tp_hit"] == "on"
    modes = await prefs.set("telegram:1", "fills", "off")
    assert set(modes.values()) == {"off"}
    await prefs.set("telegram:1", "stop_out", "on")
    assert await prefs.mode("telegram:1", "stop_out") == "on"
    assert (await prefs.get("telegram:2"))["stop_out"] == "on"  # other chats unaffected
    await prefs.reset("telegram:1")
    assert set((await prefs.get("telegram:1")).values()) == {"on"}


@pytest.mark.parametrize(("event", "mode", "message"), [
    ("sl", "on", "unknown notification event type"),
    ("sl_hit", "loud", "mode must be one of"),
    ("fills", "", "mode must be one of"),
])
async def test_bad_preferences_change_nothing(storage: Storage, event: str, mode: str, message: str) -> None:
    prefs = NotificationPreferences(storage.db)
    with pytest.raises(InvalidValue, match=message):
        await prefs.set("telegram:1", event, mode)
    assert set((await prefs.get("telegram:1")).values()) == {"on"}
    with pytest.raises(InvalidValue):
        await prefs.mode("telegram:1", "fills")
