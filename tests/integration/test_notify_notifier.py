"""The notifier against a real SQLite outbox and recording targets, time driven by a fake clock.

Time is virtual: the notifier's sleeps jump the fake clock only when no send is in flight (see
tests/fakes/clocks.VirtualClock), so every timing assertion holds however slow the machine is.
`drain(DRAIN_S)` only bounds a hang in real time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from fxbot.chat.types import ChatKind, ChatRef, Reply
from fxbot.notify.errors import DeliveryForbidden, DeliveryRetryAfter
from fxbot.notify.notification import Severity
from fxbot.notify.notifier import Notifier
from fxbot.notify.outbox import Outbox, OutboxState
from fxbot.notify.pacing import PacingLimits
from fxbot.notify.targets import ChatAdapterTarget
from fxbot.storage import Storage
from tests.fakes.platforms import builtin_platforms
from tests.unit.notify.factories import FakeClock, RecordingTarget, note
from tests.waiting import eventually

EPS = 1e-9
DRAIN_S = 60.0  # real seconds; only a hang reaches it


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    async with await Storage.open(tmp_path / "x.db", {}) as opened:
        yield opened


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_notifier(outbox: Outbox, clock: FakeClock, *targets: RecordingTarget, **options: Any) -> Notifier:
    notifier = Notifier(outbox, {t.platform: t for t in targets}, clock=clock, sleep=clock.sleep, **options)
    clock.busy = lambda: notifier.sends_in_flight > 0  # time jumps only once the sends under way are done
    return notifier


async def test_a_storm_is_coalesced_into_one_message_per_chat(storage: Storage, clock: FakeClock) -> None:
    outbox = Outbox(storage.db)
    target = RecordingTarget(clock)
    notifier = make_notifier(outbox, clock, target)
    start = clock.now
    for i in range(50):
        await outbox.enqueue(note("telegram:1", f"a{i}", seconds=i))
    for i in range(30):
        await outbox.enqueue(note("telegram:2", f"b{i}", severity=Severity.WARNING))
    assert await notifier.drain(DRAIN_S)
    assert len(target.to("telegram:1")) == 1 and len(target.to("telegram:2")) == 1
    assert target.to("telegram:1")[0].reply.title == "50 alerts"
    assert target.to("telegram:2")[0].reply.title == "30 alerts"
    assert all(s.at >= start + 1.0 - EPS for s in target.sent)  # waited for the coalescing window
    assert (await outbox.counts())[OutboxState.SENT] == 80
    assert notifier.items_delivered == 80 and notifier.messages_sent == 2


async def test_critical_skips_the_window_and_goes_first(storage: Storage, clock: FakeClock) -> None:
    outbox = Outbox(storage.db)
    target = RecordingTarget(clock)
    notifier = make_notifier(outbox, clock, target, limits={"telegram": PacingLimits(global_per_second=1)},
                             coalesce_s=0.0)
    await outbox.enqueue(note("telegram:1", "info"))
    await outbox.enqueue(note("telegram:2", "stop", severity=Severity.CRITICAL, title="stop-out"))
    start = clock.now
    assert await notifier.drain(DRAIN_S)
    assert [s.chat.id for s in target.sent] == ["telegram:2", "telegram:1"]
    assert target.sent[0].at == start
    assert target.sent[1].at >= start + 1.0 - EPS  # the global limit still applies to it

    clock.advance(100)
    notifier2 = make_notifier(outbox, clock, target)  # default 1 s coalescing window
    await outbox.enqueue(note("telegram:3", "crit", severity=Severity.CRITICAL))
    at = clock.now
    assert await notifier2.drain(DRAIN_S)
    assert target.to("telegram:3")[0].at == at  # not held for the window


async def test_items_arriving_while_running_are_delivered_promptly(storage: Storage, clock: FakeClock) -> None:
    outbox = Outbox(storage.db)
    target = RecordingTarget(clock)
    notifier = make_notifier(outbox, clock, target)
    task = asyncio.create_task(notifier.run())
    try:
        assert await notifier.drain(DRAIN_S)
        assert target.sent == []
        await outbox.enqueue(note("telegram:1", "x1"))
        assert await notifier.drain(DRAIN_S)
        assert len(target.sent) == 1
        with clock.held():  # both arrive at the same instant, within one coalescing window
            await outbox.enqueue(note("telegram:1", "x2"))
            await outbox.enqueue(note("telegram:1", "x3"))
        assert await notifier.drain(DRAIN_S)
        assert len(target.sent) == 2 and target.sent[1].reply.title == "2 alerts"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.mark.parametrize("send_s", [0.0, 0.01], ids=["instant-sends", "slow-sends"])
async def test_continuous_firings_stay_within_the_pacing_limits(
    storage: Storage, clock: FakeClock, send_s: float
) -> None:
    """`slow-sends`: every send takes real time, as on a loaded machine; virtual time must not run ahead of it."""
    outbox = Outbox(storage.db, chat_kinds=builtin_platforms().chat_kinds())  # telegram: negative id = group
    counter = iter(range(10_000))

    class FeedingTarget(RecordingTarget):
        """Every message sent makes more notifications fire for the same chat (a long storm)."""

        async def send(self, chat: ChatRef, reply: Reply) -> None:
            if send_s:
                await asyncio.to_thread(time.sleep, send_s)  # real time passes; the fake clock must not jump
            await super().send(chat, reply)
            if len(self.to(chat.id)) < 30:
                for _ in range(2):
                    await outbox.enqueue(note(chat.id, f"n{next(counter)}", severity=Severity.CRITICAL))

    target = FeedingTarget(clock)
    notifier = make_notifier(outbox, clock, target)
    for chat in ("telegram:7", "telegram:-1007"):
        await outbox.enqueue(note(chat, f"n{next(counter)}", severity=Severity.CRITICAL))
    assert await notifier.drain(DRAIN_S)
    private = [s.at for s in target.to("telegram:7")]
    group = [s.at for s in target.to("telegram:-1007")]
    assert len(private) == 30 and len(group) == 30
    assert private[-1] - private[0] <= 30.0  # the private chat was not held back: ~1 message/s
    assert group[-1] - group[0] >= 60.0 - EPS  # the group chat was: 20 per minute
    assert target.to("telegram:-1007")[0].chat.kind is ChatKind.GROUP
    for times, limit, window in ((private, 3 + 5, 5.0), (group, 20, 60.0), (private, 3 + 1, 1.0)):
        for t in times:
            assert sum(1 for u in times if t <= u < t + window - EPS) <= limit
    assert (await outbox.counts())[OutboxState.PENDING] == 0


async def test_threads_of_one_chat_get_separate_messages(storage: Storage, clock: FakeClock) -> None:
    outbox = Outbox(storage.db)
    target = RecordingTarget(clock, platform="discord", message_limit=2000)
    notifier = make_notifier(outbox, clock, target)
    await outbox.enqueue(note("discord:9", "a", thread_id="t1"))
    await outbox.enqueue(note("discord:9", "b", thread_id="t2"))
    await outbox.enqueue(note("discord:9", "c", thread_id="t1"))
    assert await notifier.drain(DRAIN_S)
    assert sorted((s.chat.thread_id, len(s.reply.text)) for s in target.sent) == [("t1", 2), ("t2", 1)]


async def test_forbidden_stops_one_chat_only(
    storage: Storage, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    outbox = Outbox(storage.db)
    target = RecordingTarget(clock, fail_with={"telegram:-5": [DeliveryForbidden("bot was kicked")]})
    notifier = make_notifier(outbox, clock, target)
    await outbox.enqueue(note("telegram:-5", "a"))
    await outbox.enqueue(note("telegram:6", "b"))
    assert await notifier.drain(DRAIN_S)
    assert [s.chat.id for s in target.sent] == ["telegram:6"]
    assert notifier.blocked_chats == {"telegram:-5"}
    await outbox.enqueue(note("telegram:-5", "c"))
    await outbox.enqueue(note("telegram:6", "d"))
    assert await notifier.drain(DRAIN_S)
    assert [s.chat.id for s in target.sent] == ["telegram:6", "telegram:6"]
    counts = await outbox.counts()
    assert counts[OutboxState.UNDELIVERABLE] == 2 and counts[OutboxState.SENT] == 2
    assert sum("refuses messages" in r.getMessage() for r in caplog.records) == 1  # logged once


async def test_retry_after_is_honoured_and_new_items_merge(storage: Storage, clock: FakeClock) -> None:
    outbox = Outbox(storage.db)

    class LimitedTarget(RecordingTarget):
        calls = 0

        async def send(self, chat: ChatRef, reply: Reply) -> None:
            self.calls += 1
            if self.calls == 1:
                await outbox.enqueue(note(chat.id, "late", title="arrived during the wait"))
                raise DeliveryRetryAfter(5)
            await super().send(chat, reply)

    target = LimitedTarget(clock)
    notifier = make_notifier(outbox, clock, target)
    await outbox.enqueue(note("telegram:1", "first", title="first alert"))
    start = clock.now
    assert await notifier.drain(DRAIN_S)
    [sent] = target.sent
    assert sent.at >= start + 1.0 + 5.0 - EPS
    assert sent.reply.title == "2 alerts"
    assert "arrived during the wait" in sent.reply.plain_text and "first alert" in sent.reply.plain_text


async def test_global_retry_after_pauses_every_chat_of_the_platform(storage: Storage, clock: FakeClock) -> None:
    outbox = Outbox(storage.db)
    target = RecordingTarget(clock, fail_with={"telegram:1": [DeliveryRetryAfter(10, chat_wide=False)]})
    other = RecordingTarget(clock, platform="discord", message_limit=2000)
    notifier = make_notifier(outbox, clock, target, other, coalesce_s=0.0,
                             limits={"telegram": PacingLimits(global_per_second=1)})
    await outbox.enqueue(note("telegram:1", "a", severity=Severity.CRITICAL))
    await outbox.enqueue(note("telegram:2", "b"))
    await outbox.enqueue(note("discord:3", "c"))
    start = clock.now
    assert await notifier.drain(DRAIN_S)
    assert other.sent[0].at == start  # another platform is not affected
    assert {s.chat.id for s in target.sent} == {"telegram:1", "telegram:2"}
    assert all(s.at >= start + 10 - EPS for s in target.sent)


async def test_unexpected_errors_retry_with_backoff_then_give_up(storage: Storage, clock: FakeClock) -> None:
    outbox = Outbox(storage.db)
    token = "123456789:ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    boom: list[BaseException] = [RuntimeError(f"network down; url /bot{token}{i}/send") for i in range(10)]
    target = RecordingTarget(clock, fail_with={"telegram:1": boom})
    notifier = make_notifier(outbox, clock, target, max_attempts=3, coalesce_s=0.0)
    await outbox.enqueue(note("telegram:1", "info"))
    await outbox.enqueue(note("telegram:2", "ok"))
    start = clock.now
    assert await notifier.drain(DRAIN_S)
    assert [s.chat.id for s in target.sent] == ["telegram:2"]
    assert len(boom) == 7  # three attempts
    assert clock.now >= start + 1 + 2 - EPS  # backoff 1 s then 2 s
    row = await storage.db.fetch_one("SELECT state, attempts, last_error FROM notify_outbox WHERE dedupe_key = 'info'")
    assert row is not None and row["state"] == "failed" and row["attempts"] == 3
    assert "network down" in row["last_error"] and "ABCDEFGHIJ" not in row["last_error"]


async def test_critical_items_keep_being_retried(storage: Storage, clock: FakeClock) -> None:
    outbox = Outbox(storage.db)
    target = RecordingTarget(clock, fail_with={"telegram:1": [OSError("reset")] * 6})
    notifier = make_notifier(outbox, clock, target, max_attempts=2, max_backoff_s=4.0)
    await outbox.enqueue(note("telegram:1", "stop", severity=Severity.CRITICAL))
    await outbox.enqueue(note("telegram:1", "info"))
    assert await notifier.drain(DRAIN_S)
    [sent] = target.sent
    assert "stop" in sent.reply.plain_text and "info" not in sent.reply.plain_text
    counts = await outbox.counts()
    assert counts[OutboxState.SENT] == 1 and counts[OutboxState.FAILED] == 1


async def test_a_crash_between_created_and_sent_redelivers_once(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "x.db"
    started = asyncio.Event()

    class HangingTarget(RecordingTarget):
        async def send(self, chat: ChatRef, reply: Reply) -> None:
            started.set()
            await asyncio.Event().wait()  # the process dies while this send is in flight

    storage = await Storage.open(path, {})
    outbox = Outbox(storage.db)
    keys = ["alert:1:0", "alert:2:0", "fill:A:9:sl_hit"]
    for key in keys:
        assert await outbox.enqueue(note("telegram:1", key))
    task = asyncio.create_task(make_notifier(outbox, clock, HangingTarget(clock)).run())
    await asyncio.wait_for(started.wait(), DRAIN_S)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await storage.close()

    async with await Storage.open(path, {}) as storage:
        outbox = Outbox(storage.db)
        for key in keys:  # the alert engine re-fires after the restart: dropped by the dedupe key
            assert not await outbox.enqueue(note("telegram:1", key))
        target = RecordingTarget(clock)
        assert await make_notifier(outbox, clock, target).drain(DRAIN_S)
        [sent] = target.sent
        assert sorted(block.splitlines()[0] for block in sent.reply.text) == [f"• alert {k}" for k in sorted(keys)]

    async with await Storage.open(path, {}) as storage:  # and a further restart sends nothing again
        target = RecordingTarget(clock)
        assert await make_notifier(Outbox(storage.db), clock, target).drain(DRAIN_S)
        assert target.sent == []


async def test_platform_without_target_waits_in_the_outbox(storage: Storage, clock: FakeClock) -> None:
    outbox = Outbox(storage.db)
    target = RecordingTarget(clock)
    notifier = make_notifier(outbox, clock, target)
    await outbox.enqueue(note("discord:1", "a"))
    await outbox.enqueue(note("telegram:1", "b"))
    assert await notifier.drain(DRAIN_S)
    assert [s.chat.id for s in target.sent] == ["telegram:1"]
    assert [i.chat_id for i in await outbox.pending()] == ["discord:1"]


async def test_a_platform_without_target_is_named_at_start_and_left_unclaimed(
    storage: Storage, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    outbox = Outbox(storage.db)
    await outbox.enqueue(note("discord:1", "a"))
    await outbox.enqueue(note("discord:2", "b"))
    notifier = make_notifier(outbox, clock, RecordingTarget(clock))
    run = asyncio.create_task(notifier.run())
    try:
        await eventually(lambda: any("no delivery target" in r.getMessage() for r in caplog.records),
                         "the warning about discord")
        assert await notifier.drain(DRAIN_S)
    finally:
        run.cancel()
        await asyncio.gather(run, return_exceptions=True)
    [warning] = [r.getMessage() for r in caplog.records if "no delivery target" in r.getMessage()]
    assert warning == "notifier: no delivery target for platform 'discord' here; its 2 notifications wait in the outbox"
    assert await outbox.pending_platforms() == {"discord": 2}
    assert await storage.db.fetch_value("SELECT COUNT(*) FROM notify_outbox WHERE claimed_by IS NOT NULL") == 0


async def test_drain_times_out_while_a_critical_keeps_failing(storage: Storage, clock: FakeClock) -> None:
    outbox = Outbox(storage.db)
    target = RecordingTarget(clock, fail_with={"telegram:1": [OSError("down")] * 10_000})
    notifier = make_notifier(outbox, clock, target, max_attempts=1)
    await outbox.enqueue(note("telegram:1", "stop", severity=Severity.CRITICAL))
    assert not await notifier.drain(0.3)
    assert (await outbox.counts())[OutboxState.PENDING] == 1


async def test_chat_adapter_target_delivers_through_adapter_send(storage: Storage, clock: FakeClock) -> None:
    class FakeAdapter:
        name = "console"
        def __init__(self) -> None:
            self.received: list[tuple[ChatRef, Reply]] = []

        async def start(self) -> None: ...

        async def stop(self) -> None: ...

        async def send(self, chat: ChatRef, reply: Reply) -> str | None:
            self.received.append((chat, reply))
            return None

    adapter = FakeAdapter()
    target = ChatAdapterTarget(adapter, "console", None)
    outbox = Outbox(storage.db, chat_kinds=builtin_platforms().chat_kinds())
    notifier = Notifier(outbox, {"console": target}, clock=clock, sleep=clock.sleep)
    clock.busy = lambda: notifier.sends_in_flight > 0
    await outbox.enqueue(note("console:local", "a", title="EURUSD above 1.09"))
    assert await notifier.drain(DRAIN_S)
    [(chat, reply)] = adapter.received
    assert chat == ChatRef("console:local", ChatKind.PRIVATE, "console")
    assert reply.title == "EURUSD above 1.09"
    with pytest.raises(ValueError):
        ChatAdapterTarget(adapter, "", None)
    with pytest.raises(ValueError):
        Notifier(outbox, {"x": ChatAdapterTarget(adapter, "x", 50)})


async def test_delivers_with_the_real_monotonic_clock(storage: Storage) -> None:
    outbox = Outbox(storage.db)
    target = RecordingTarget(FakeClock())
    notifier = Notifier(outbox, {"telegram": target}, coalesce_s=0.05)  # time.monotonic, asyncio.sleep
    await outbox.enqueue(note("telegram:1", "a"))
    await outbox.enqueue(note("telegram:-2", "b", severity=Severity.CRITICAL))
    assert await notifier.drain(DRAIN_S)
    assert sorted(s.chat.id for s in target.sent) == ["telegram:-2", "telegram:1"]
