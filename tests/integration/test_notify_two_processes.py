"""Several delivery processes on one database, on both backends (each gateway opened on the same database stands
for a process): every message is delivered exactly once, a process that dies holding claims is taken over once
its lease lapsed, a stalled one stops holding what was taken over, and an enqueue elsewhere wakes a notifier."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from fxbot.chat.types import ChatRef, Reply
from fxbot.notify.notification import Severity
from fxbot.notify.notifier import Notifier
from fxbot.notify.outbox import Outbox, OutboxState
from fxbot.storage.database import Database
from fxbot.storage.open_database import open_database
from tests.unit.notify.factories import FakeClock, RecordingTarget, WallClock, note
from tests.waiting import HANG_S, eventually

LEASE_S = 20.0
KEY = re.compile(r"msg-\d{4}")


async def open_at(location: str) -> Database:
    return await open_database(location if location.startswith("postgresql://") else Path(location))


@pytest.fixture
async def gateways(database_url: str) -> AsyncIterator[list[Database]]:
    """Three gateways on one database: a front process and two delivery processes."""
    opened = [await open_at(database_url) for _ in range(3)]
    try:
        yield opened
    finally:
        for db in opened:
            await db.close()


def delivered(*targets: RecordingTarget) -> Counter[str]:
    """How many times each notification reached a platform, over every target."""
    return Counter(key for target in targets for sent in target.sent for key in KEY.findall(sent.reply.plain_text))


def notifier(outbox: Outbox, target: RecordingTarget, owner: str, **options: Any) -> Notifier:
    clock = target.clock
    options.setdefault("coalesce_s", 0.0)
    made = Notifier(outbox, {"telegram": target}, clock=clock, sleep=clock.sleep, owner=owner, lease_s=LEASE_S,
                    **options)
    clock.busy = lambda: made.sends_in_flight > 0
    return made


async def stop(*tasks: asyncio.Task[None]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


@dataclass
class GatedTarget(RecordingTarget):
    """Records like RecordingTarget; a send to `chat` waits for `go` (never, unless set): a send under way."""

    chat: str = ""
    go: asyncio.Event = field(default_factory=asyncio.Event)
    started: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, chat: ChatRef, reply: Reply) -> None:
        if chat.id == self.chat:
            self.started.set()
            await self.go.wait()
        await super().send(chat, reply)


class Ticks:
    """Drives a notifier's lease renewals: each `tick()` lets one renewal (and poll) happen."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[None] = asyncio.Queue()

    async def sleep(self, _seconds: float) -> None:
        await self._queue.get()

    def tick(self) -> None:
        self._queue.put_nowait(None)


async def test_two_delivery_processes_deliver_each_message_exactly_once(gateways: list[Database]) -> None:
    front, db_a, db_b = gateways
    target_a, target_b = RecordingTarget(FakeClock()), RecordingTarget(FakeClock())
    a = notifier(Outbox(db_a), target_a, "a", poll_s=0.05)  # SQLite has no cross-process wake-up: they poll
    b = notifier(Outbox(db_b), target_b, "b", poll_s=0.05)
    runs = [asyncio.create_task(a.run()), asyncio.create_task(b.run())]
    outbox = Outbox(front)
    total = 400
    try:
        for i in range(total):  # enqueued while both deliver, in bursts, over 40 chats
            await outbox.enqueue(note(f"telegram:{i % 40}", f"msg-{i:04d}"))
        await eventually(lambda: _sent(outbox, total), "every message to be recorded as sent")
    finally:
        await stop(*runs)
    assert delivered(target_a, target_b) == {f"msg-{i:04d}": 1 for i in range(total)}
    assert a.items_delivered + b.items_delivered == total
    print(f"split between the two delivery processes: {a.items_delivered} / {b.items_delivered}")


def _has_sent(target: RecordingTarget, count: int) -> bool:
    return len(target.sent) == count


async def _sent(outbox: Outbox, total: int) -> bool:
    """Whether `total` rows are recorded as sent (a send returned and its mark committed)."""
    return (await outbox.counts())[OutboxState.SENT] == total


async def test_a_dead_process_s_claims_are_taken_over_once_its_lease_lapsed(gateways: list[Database]) -> None:
    _, db_a, db_b = gateways
    wall = WallClock()
    out_a, out_b = Outbox(db_a, wall), Outbox(db_b, wall)
    target_a = GatedTarget(FakeClock(), chat="telegram:3")  # its send there never returns: it dies meanwhile
    target_b = RecordingTarget(FakeClock())
    a = notifier(out_a, target_a, "a", poll_s=600)
    b = notifier(out_b, target_b, "b", poll_s=600)
    keys = [f"msg-{i:04d}" for i in range(20)]
    for i, key in enumerate(keys):
        await out_a.enqueue(note(f"telegram:{i % 5}", key))
    run_a = asyncio.create_task(a.run())
    async with asyncio.timeout(HANG_S):
        await target_a.started.wait()
    await eventually(lambda: _sent(out_b, 16), "the other four chats to be delivered and recorded")

    await db_a.close()  # the process dies: it reaches the database no more, releases nothing
    await stop(run_a)
    assert await b.drain(HANG_S)
    assert target_b.sent == []  # the dead process's lease still holds chat 3
    wall.now += timedelta(seconds=LEASE_S, microseconds=1)
    assert await b.drain(HANG_S)
    assert delivered(target_a, target_b) == dict.fromkeys(keys, 1)  # nothing lost, nothing twice
    rows = await db_b.fetch_all("SELECT state, claimed_by FROM notify_outbox WHERE chat_id = 'telegram:3'")
    assert {(r["state"], r["claimed_by"]) for r in rows} == {("sent", "b")}


async def test_a_stalled_process_stops_holding_what_was_taken_over(
    gateways: list[Database], caplog: pytest.LogCaptureFixture
) -> None:
    _, db_a, db_b = gateways
    wall = WallClock()
    out_a, out_b = Outbox(db_a, wall), Outbox(db_b, wall)
    target_a = GatedTarget(FakeClock(), chat="telegram:1")
    target_b = RecordingTarget(FakeClock())
    ticks = Ticks()
    # a long coalescing window: chat 2's item waits in a's memory, not being sent
    a = notifier(out_a, target_a, "a", poll_s=600, lease_sleep=ticks.sleep, coalesce_s=3600.0)
    b = notifier(out_b, target_b, "b", poll_s=600)
    await out_a.enqueue(note("telegram:1", "msg-0000", severity=Severity.CRITICAL))
    await out_a.enqueue(note("telegram:2", "msg-0001"))
    run_a = asyncio.create_task(a.run())
    try:
        async with asyncio.timeout(HANG_S):
            await target_a.started.wait()  # a's send to chat 1 is under way, chat 2 waits in its memory
        assert "pending=2" in repr(a)
        wall.now += timedelta(seconds=LEASE_S, microseconds=1)  # a stalls past its lease…
        assert await b.drain(HANG_S)  # …and b takes both over
        ticks.tick()  # a's next renewal finds it lost them
        await eventually(lambda: "pending=0" in repr(a), "a to stop holding what b took")
        target_a.go.set()  # a's stalled send returns after all: its sent mark changes nothing
        await eventually(lambda: a.sends_in_flight == 0, "a's send to finish")
    finally:
        await stop(run_a)
    # The one double delivery a lease cannot prevent: a send under way when its lease lapsed.
    assert delivered(target_a) == {"msg-0000": 1}
    assert delivered(target_b) == {"msg-0000": 1, "msg-0001": 1}
    rows = await db_b.fetch_all("SELECT state, claimed_by FROM notify_outbox")
    assert {(r["state"], r["claimed_by"]) for r in rows} == {("sent", "b")}
    assert any("2 notifications another delivery process may have taken" in r.getMessage() for r in caplog.records)
    assert any("no longer held here" in r.getMessage() for r in caplog.records)


async def test_an_orderly_stop_hands_claims_back_at_once(gateways: list[Database]) -> None:
    _, db_a, db_b = gateways
    wall = WallClock()
    out_a, out_b = Outbox(db_a, wall), Outbox(db_b, wall)
    target_a = GatedTarget(FakeClock(), chat="telegram:1")
    target_b = RecordingTarget(FakeClock())
    a = notifier(out_a, target_a, "a", poll_s=600)
    b = notifier(out_b, target_b, "b", poll_s=600)
    await out_a.enqueue(note("telegram:1", "msg-0000"))
    await out_a.enqueue(note("telegram:1", "msg-0001"))
    run_a = asyncio.create_task(a.run())
    async with asyncio.timeout(HANG_S):
        await target_a.started.wait()
    await stop(run_a)  # the send under way is cancelled: its outcome unknown, it goes again (at least once)
    assert await db_b.fetch_value("SELECT COUNT(*) FROM notify_outbox WHERE claimed_by IS NOT NULL") == 0
    assert await b.drain(HANG_S)  # no lease to wait for
    assert delivered(target_b) == {"msg-0000": 1, "msg-0001": 1}


async def test_an_enqueue_elsewhere_wakes_the_notifier_without_polling(
    gateways: list[Database], database_url: str
) -> None:
    front, db_a, _ = gateways
    target = RecordingTarget(FakeClock())
    a = notifier(Outbox(db_a), target, "a", lease_sleep=Ticks().sleep)  # it never polls
    # PostgreSQL: another process (gateway) enqueues and NOTIFY wakes a. SQLite has no cross-process
    # notification: another Outbox on a's own gateway stands in (before, only a's own Outbox woke it).
    elsewhere = Outbox(front if database_url.startswith("postgresql://") else db_a)
    run = asyncio.create_task(a.run())
    try:
        assert await a.drain(HANG_S)
        for i in range(3):
            await elsewhere.enqueue(note(f"telegram:{i}", f"msg-{i:04d}"))
            await eventually(partial(_has_sent, target, i + 1), f"message {i} to be delivered")
    finally:
        await stop(run)
    assert delivered(target) == {f"msg-{i:04d}": 1 for i in range(3)}


async def test_an_enqueue_inside_a_transaction_wakes_the_notifier_once_committed(gateways: list[Database]) -> None:
    """In-process, the outbox wakes its notifier at once, before a caller's transaction commits; on PostgreSQL
    the notifier's claim (another connection) cannot see those rows yet: the notification after the commit
    must wake it again (no polling here)."""
    _, db_a, _ = gateways
    outbox = Outbox(db_a)
    target = RecordingTarget(FakeClock())
    a = notifier(outbox, target, "a", lease_sleep=Ticks().sleep)
    run = asyncio.create_task(a.run())
    try:
        assert await a.drain(HANG_S)
        async with db_a.transaction():
            await outbox.enqueue_many([note(f"telegram:{i}", f"msg-{i:04d}") for i in range(3)])
            await outbox.enqueue(note("telegram:9", "msg-0009"))
            if db_a.dialect == "postgresql":  # (SQLite: its claim waits for this transaction, one writer)
                assert await a.drain(HANG_S)  # the in-process wake-up's claim found nothing yet
                assert target.sent == []
        await eventually(partial(_has_sent, target, 4), "the committed messages to be delivered")
    finally:
        await stop(run)
    assert delivered(target) == {key: 1 for key in ("msg-0000", "msg-0001", "msg-0002", "msg-0009")}
