"""The at-least-once window: a send that returned is recorded as sent even when the notifier is stopped meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from fxbot.chat.types import ChatRef, Reply
from fxbot.notify.notifier import Notifier
from fxbot.notify.outbox import Outbox, OutboxState
from fxbot.storage import Storage
from tests.unit.notify.factories import FakeClock, RecordingTarget, note
from tests.waiting import HANG_S

GRACE_S = 0.2  # how long the stopped notifier gets to (wrongly) finish first; correct code can never


class WatchedOutbox(Outbox):
    """The real outbox, noting when a mark_sent write starts and when it committed."""

    events: list[str]
    writing: asyncio.Event

    def watch(self) -> None:
        self.events = []
        self.writing = asyncio.Event()

    async def mark_sent(self, ids: Iterable[int], *, owner: str | None = None) -> int:
        self.writing.set()
        changed = await super().mark_sent(ids, owner=owner)
        self.events.append("recorded as sent")
        return changed


@dataclass
class GatedTarget(RecordingTarget):
    """Records like RecordingTarget; each send returns only once `go` is set."""

    go: asyncio.Event = field(default_factory=asyncio.Event)
    started: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, chat: ChatRef, reply: Reply) -> None:
        self.started.set()
        await self.go.wait()
        await super().send(chat, reply)


async def test_a_stop_waits_for_the_sent_mark_of_a_send_that_returned(tmp_path: Path) -> None:
    clock = FakeClock()
    async with await Storage.open(tmp_path / "x.db", {}) as storage:
        outbox = WatchedOutbox(storage.db)
        outbox.watch()
        target = GatedTarget(clock)
        notifier = Notifier(outbox, {"telegram": target}, clock=clock, sleep=clock.sleep, coalesce_s=0.0)
        await outbox.enqueue(note("telegram:1", "a"))
        run = asyncio.create_task(notifier.run())
        run.add_done_callback(lambda _: outbox.events.append("notifier stopped"))
        async with asyncio.timeout(HANG_S):
            await target.started.wait()
        locked, release = asyncio.Event(), asyncio.Event()

        async def busy_database() -> None:  # another writer holds the database: the mark has to queue
            async with storage.db.transaction():
                locked.set()
                await release.wait()

        writer = asyncio.create_task(busy_database())
        async with asyncio.timeout(HANG_S):
            await locked.wait()
            target.go.set()  # the platform accepted the message…
            await outbox.writing.wait()  # …and the sent mark waits for the database
        run.cancel()  # an orderly stop right then
        await asyncio.wait({run}, timeout=GRACE_S)
        release.set()
        async with asyncio.timeout(HANG_S):
            await asyncio.gather(run, writer, return_exceptions=True)
        assert outbox.events == ["recorded as sent", "notifier stopped"]
        assert (await outbox.counts())[OutboxState.SENT] == 1 and len(target.sent) == 1
