"""The notifier holds at most `max_held` outbox items in memory: a larger backlog is claimed as what is held goes
out, and still every item is delivered exactly once, in order per chat (time driven by a fake clock)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fxbot.chat.types import ChatRef, Reply
from fxbot.notify.notification import Severity
from fxbot.notify.notifier import Notifier
from fxbot.notify.outbox import Outbox, OutboxState
from fxbot.storage import Storage
from tests.unit.notify.factories import FakeClock, RecordingTarget, note

DRAIN_S = 60.0  # real seconds; only a hang reaches it
KEY = re.compile(r"alert ([ab])(\d+)")


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    async with await Storage.open(tmp_path / "x.db", {}) as opened:
        yield opened


class HeldRecordingTarget(RecordingTarget):
    """Records, at every send, how many items the notifier holds in memory."""

    notifier: Notifier | None = None
    held: list[int]

    async def send(self, chat: ChatRef, reply: Reply) -> None:
        assert self.notifier is not None
        self.held.append(self.notifier.items_held)
        await super().send(chat, reply)


@pytest.mark.parametrize("message_limit", [None, 4096], ids=["unlimited", "telegram-length"])
async def test_a_backlog_larger_than_max_held_is_delivered_in_bounded_rounds(
    storage: Storage, message_limit: int | None
) -> None:
    clock = FakeClock()
    outbox = Outbox(storage.db)
    sequence = 0
    for i in range(60):  # chat a's backlog, with chat b's items between its rows
        await outbox.enqueue(note("telegram:1", f"a{i}", seconds=sequence))
        sequence += 1
        if i % 3 == 0:
            await outbox.enqueue(note("telegram:2", f"b{i // 3}", seconds=sequence))
            sequence += 1
    target = HeldRecordingTarget(clock, message_limit=message_limit)
    target.held = []
    notifier = Notifier(outbox, {"telegram": target}, clock=clock, sleep=clock.sleep, max_held=7, claim_batch=3)
    clock.busy = lambda: notifier.sends_in_flight > 0
    target.notifier = notifier

    assert await notifier.drain(DRAIN_S)

    assert target.held and max(target.held) <= 7  # never more than max_held in memory
    assert notifier.items_held == 0
    assert (await outbox.counts())[OutboxState.SENT] == 80 and notifier.items_delivered == 80
    if message_limit is None:  # every item is written out: each exactly once, in order per chat
        for chat, prefix, count in (("telegram:1", "a", 60), ("telegram:2", "b", 20)):
            numbers = [int(n) for p, n in KEY.findall(target.text_to(chat)) if p == prefix]
            assert numbers == list(range(count))
    assert len(target.sent) > 80 // 7  # delivered in rounds of at most max_held items


async def test_a_critical_item_behind_a_backlog_larger_than_max_held_is_claimed_ahead_of_it(storage: Storage) -> None:
    clock = FakeClock()
    outbox = Outbox(storage.db)
    for i in range(60):
        await outbox.enqueue(note("telegram:1", f"a{i}", seconds=i))
    await outbox.enqueue(note("telegram:3", "margin", severity=Severity.CRITICAL, title="Margin call", seconds=61))
    target = HeldRecordingTarget(clock)
    target.held = []
    notifier = Notifier(outbox, {"telegram": target}, clock=clock, sleep=clock.sleep, max_held=7, claim_batch=3)
    clock.busy = lambda: notifier.sends_in_flight > 0
    target.notifier = notifier

    assert await notifier.drain(DRAIN_S)

    first_critical = next(i for i, sent in enumerate(target.sent) if sent.chat.id == "telegram:3")
    before = "\n".join(sent.reply.plain_text for sent in target.sent[:first_critical])
    assert len(KEY.findall(before)) <= 7  # not after the 60 items it was enqueued behind
    assert max(target.held) <= 7 + 3  # max_held, plus at most one claim batch of critical items
    assert (await outbox.counts())[OutboxState.SENT] == 61
    numbers = [int(n) for _, n in KEY.findall(target.text_to("telegram:1"))]
    assert numbers == list(range(60))  # the backlog itself still in order, each once


async def test_max_held_must_be_positive(storage: Storage) -> None:
    with pytest.raises(ValueError, match="max_held"):
        Notifier(Outbox(storage.db), {}, max_held=0)
