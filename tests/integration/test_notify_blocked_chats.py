"""A chat that refused the bot is skipped until it is reachable again, and that survives a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fxbot.notify.errors import DeliveryForbidden
from fxbot.notify.notifier import Notifier
from fxbot.notify.outbox import Outbox, OutboxState
from fxbot.storage import Storage
from tests.unit.notify.factories import FakeClock, RecordingTarget, note

DRAIN_S = 60.0  # real seconds; only a hang reaches it
BLOCKED = "telegram:-5"


def make_notifier(outbox: Outbox, clock: FakeClock, target: RecordingTarget, **options: Any) -> Notifier:
    notifier = Notifier(outbox, {target.platform: target}, clock=clock, sleep=clock.sleep, **options)
    clock.busy = lambda: notifier.sends_in_flight > 0
    return notifier


async def _state(outbox: Outbox, key: str) -> str:
    value = await outbox.database.fetch_value("SELECT state FROM notify_outbox WHERE dedupe_key = ?", (key,))
    return str(value)


async def test_a_chat_that_wrote_again_gets_its_next_notifications(tmp_path: Path) -> None:
    clock = FakeClock()
    async with await Storage.open(tmp_path / "x.db", {}) as storage:
        outbox = Outbox(storage.db)
        target = RecordingTarget(clock, fail_with={BLOCKED: [DeliveryForbidden("bot was blocked by the user")]})
        notifier = make_notifier(outbox, clock, target)
        await outbox.enqueue(note(BLOCKED, "a"))
        assert await notifier.drain(DRAIN_S)
        assert notifier.blocked_chats == {BLOCKED} and target.sent == []
        await outbox.enqueue(note(BLOCKED, "b"))
        assert await notifier.drain(DRAIN_S)
        assert target.sent == [] and await _state(outbox, "b") == OutboxState.UNDELIVERABLE

        await notifier.unblock(BLOCKED)  # the adapter saw a message from that chat
        await outbox.enqueue(note(BLOCKED, "c", title="after the chat came back"))
        assert await notifier.drain(DRAIN_S)
        assert [s.reply.title for s in target.to(BLOCKED)] == ["after the chat came back"]
        assert notifier.blocked_chats == frozenset()


async def test_blocked_and_unblocked_chats_outlive_a_restart(tmp_path: Path) -> None:
    clock = FakeClock()
    target = RecordingTarget(clock, fail_with={BLOCKED: [DeliveryForbidden("bot was kicked")]})
    async with await Storage.open(tmp_path / "x.db", {}) as storage:
        outbox = Outbox(storage.db)
        await outbox.enqueue(note(BLOCKED, "a"))
        assert await make_notifier(outbox, clock, target).drain(DRAIN_S)

    async with await Storage.open(tmp_path / "x.db", {}) as storage:  # a restart: new process, same file
        outbox = Outbox(storage.db)
        notifier = make_notifier(outbox, clock, target)
        await outbox.enqueue(note(BLOCKED, "b"))
        await outbox.enqueue(note("telegram:6", "other"))
        assert await notifier.drain(DRAIN_S)
        assert [s.chat.id for s in target.sent] == ["telegram:6"]  # still blocked: no send was even tried
        assert await _state(outbox, "b") == OutboxState.UNDELIVERABLE
        await notifier.unblock(BLOCKED)

    async with await Storage.open(tmp_path / "x.db", {}) as storage:  # unblocking outlives a restart too
        outbox = Outbox(storage.db)
        notifier = make_notifier(outbox, clock, target)
        await outbox.enqueue(note(BLOCKED, "c", title="back"))
        assert await notifier.drain(DRAIN_S)
        assert [s.reply.title for s in target.to(BLOCKED)] == ["back"]
        assert notifier.blocked_chats == frozenset()


async def test_unblocking_a_chat_that_never_refused_writes_nothing(tmp_path: Path) -> None:
    async with await Storage.open(tmp_path / "x.db", {}) as storage:
        clock = FakeClock()
        notifier = make_notifier(Outbox(storage.db), clock, RecordingTarget(clock))
        await notifier.unblock("telegram:7")
        assert await storage.db.fetch_value("SELECT COUNT(*) FROM blocked_chats") == 0
        assert notifier.blocked_chats == frozenset()
