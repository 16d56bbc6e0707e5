"""The notifier follows a chat that changed id: what waits in memory, even behind a send, goes to the new id."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from fxbot.chat.types import ChatRef, Reply
from fxbot.notify.errors import DeliveryForbidden
from fxbot.notify.notification import Severity
from fxbot.notify.notifier import Notifier
from fxbot.notify.outbox import Outbox
from fxbot.storage import Storage
from tests.unit.notify.factories import FakeClock, RecordingTarget, note
from tests.waiting import HANG_S, eventually

OLD, NEW = "telegram:-100", "telegram:-1009999"


@dataclass
class HeldTarget(RecordingTarget):
    """Records like RecordingTarget, but the first send waits for `release` (a send under way)."""

    release: asyncio.Event = field(default_factory=asyncio.Event)
    started: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, chat: ChatRef, reply: Reply) -> None:
        if not self.started.is_set():
            self.started.set()
            await self.release.wait()
        await super().send(chat, reply)


async def test_waiting_items_follow_the_chat_to_its_new_id(tmp_path: Path) -> None:
    clock = FakeClock()
    async with await Storage.open(tmp_path / "x.db", {}) as storage:
        outbox = Outbox(storage.db)
        target = HeldTarget(clock)
        notifier = Notifier(outbox, {"telegram": target}, clock=clock, sleep=clock.sleep, coalesce_s=0.0)
        clock.busy = lambda: notifier.sends_in_flight > 0
        run = asyncio.create_task(notifier.run())
        try:
            await outbox.enqueue(note(OLD, "first"))
            async with asyncio.timeout(HANG_S):
                await target.started.wait()  # "first" is being sent to the old id
            await outbox.enqueue(note(OLD, "second", severity=Severity.CRITICAL, title="stop-out"))
            await eventually(lambda: "pending=2" in repr(notifier), "the second item to wait in memory")

            assert await storage.move_chat(OLD, NEW) >= 2  # the app moves storage first, then memory
            await notifier.move_chat(OLD, NEW)
            target.release.set()
            assert await notifier.drain(HANG_S)
        finally:
            run.cancel()
            await asyncio.gather(run, return_exceptions=True)
        assert [(s.chat.id, s.reply.title) for s in target.sent] == [(OLD, "alert first"), (NEW, "🚨 stop-out")]
        rows = await storage.db.fetch_all("SELECT chat_id, state FROM notify_outbox ORDER BY id")
        assert [(r["chat_id"], r["state"]) for r in rows] == [(NEW, "sent"), (NEW, "sent")]


async def test_a_blocked_chat_stays_blocked_under_its_new_id(tmp_path: Path) -> None:
    clock = FakeClock()
    async with await Storage.open(tmp_path / "x.db", {}) as storage:
        outbox = Outbox(storage.db)
        target = RecordingTarget(clock, fail_with={OLD: [DeliveryForbidden("bot was kicked")]})
        notifier = Notifier(outbox, {"telegram": target}, clock=clock, sleep=clock.sleep)
        await outbox.enqueue(note(OLD, "a"))
        assert await notifier.drain(HANG_S)
        await storage.move_chat(OLD, NEW)
        await notifier.move_chat(OLD, NEW)
        assert notifier.blocked_chats == {NEW}
        assert await storage.db.fetch_value("SELECT chat_id FROM blocked_chats") == NEW
