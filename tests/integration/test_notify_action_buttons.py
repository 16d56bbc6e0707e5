"""Notification buttons on a real SQLite file: tokens (expiry, one claim, chat), outbox persistence, minting."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from fxbot.adapters.telegram.buttons import ButtonBook
from fxbot.chat import persisted_buttons
from fxbot.chat.persisted_buttons import ActionToken, Lookup
from fxbot.notify.actions import position_actions
from fxbot.notify.composer import compose
from fxbot.notify.notification import NotificationAction
from fxbot.notify.notifier import Notifier
from fxbot.notify.outbox import Outbox
from fxbot.storage import Storage
from fxbot.storage.action_tokens import ActionTokens
from tests.unit.notify.factories import T0, FakeClock, RecordingTarget, note
from tests.waiting import eventually

DRAIN_S = 60.0


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    async with await Storage.open(tmp_path / "x.db", {}) as opened:
        yield opened


async def test_a_token_runs_in_its_chat_until_it_expires_and_a_one_shot_one_is_claimed_once(storage: Storage) -> None:
    now = [T0]
    tokens = ActionTokens(storage.db, lambda: now[0], ttl=timedelta(hours=2))
    token = await tokens.mint("telegram:1", "/close pos_1", once=True)
    assert persisted_buttons.owns(token) and len(token.encode()) <= 40
    found = await tokens.find(token, "telegram:1")
    assert isinstance(found, ActionToken) and found.command == "/close pos_1" and found.once
    assert await tokens.find(token, "telegram:2") is Lookup.UNKNOWN  # another chat's press
    assert await tokens.find("na:nope", "telegram:1") is Lookup.UNKNOWN
    claims = await asyncio.gather(*(tokens.claim(token, f"telegram:{i}") for i in range(5)))
    assert claims.count(True) == 1
    assert await tokens.find(token, "telegram:1") is Lookup.USED
    repeatable = await tokens.mint("telegram:1", "/alert snooze 3 1h", once=False)
    now[0] = T0 + timedelta(hours=2)
    assert await tokens.find(repeatable, "telegram:1") is Lookup.EXPIRED
    assert not await tokens.claim(repeatable, "telegram:1")
    now[0] = T0 + timedelta(days=10)
    assert await tokens.purge() == 2


async def test_outbox_items_keep_their_buttons_across_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    made = replace(note("telegram:-100", "fill:1"), actions=position_actions("pos_1"))
    async with await Storage.open(path, {}) as storage:
        assert await Outbox(storage.db).enqueue(made)
        assert (await Outbox(storage.db).enqueue_many([replace(made, dedupe_key="fill:2")])) == [True]
    async with await Storage.open(path, {}) as storage:
        items = await Outbox(storage.db).pending()
    assert [item.notification.actions for item in items] == [position_actions("pos_1")] * 2
    assert items[0].notification == made


def test_only_a_message_of_one_notification_carries_buttons() -> None:
    actions = (NotificationAction("Delete", "/alert del 1"),)
    single = compose([(1, replace(note("telegram:1", "a"), actions=actions))], message_limit=4096)
    assert [part.actions for part in single] == [actions]
    combined = compose([(1, replace(note("telegram:1", "a"), actions=actions)), (2, note("telegram:1", "b"))],
                       message_limit=4096)
    assert [part.actions for part in combined] == [()]


async def test_the_notifier_mints_a_token_per_button_when_it_sends(storage: Storage) -> None:
    clock = FakeClock()
    outbox = Outbox(storage.db)
    target = RecordingTarget(clock)
    tokens = ActionTokens(storage.db, lambda: T0)
    notifier = Notifier(outbox, {"telegram": target}, clock=clock, sleep=clock.sleep, buttons=tokens)
    clock.busy = lambda: notifier.sends_in_flight > 0
    await outbox.enqueue(replace(note("telegram:1", "fill:1"), actions=position_actions("pos_1")))
    assert await notifier.drain(DRAIN_S)
    [sent] = target.sent
    assert [b.label for b in sent.reply.buttons] == ["Close", "Close half", "Breakeven"]
    commands = []
    for button in sent.reply.buttons:
        found = await tokens.find(button.action, "telegram:1")
        assert isinstance(found, ActionToken)
        commands.append(found.command)
    assert commands == ["/close pos_1", "/close pos_1 50%", "/be pos_1"]


async def test_the_notifier_forgets_long_expired_tokens_when_it_starts(storage: Storage) -> None:
    clock = FakeClock()
    now = [T0]
    tokens = ActionTokens(storage.db, lambda: now[0])
    await tokens.mint("telegram:1", "/close pos_1", once=True)
    now[0] = T0 + timedelta(days=30)
    fresh = await tokens.mint("telegram:1", "/close pos_2", once=True)
    notifier = Notifier(Outbox(storage.db), {}, clock=clock, sleep=clock.sleep, buttons=tokens)

    async def purged() -> bool:
        return bool(await storage.db.fetch_value("SELECT COUNT(*) FROM action_tokens") == 1)

    task = asyncio.create_task(notifier.run())
    try:
        await eventually(purged, "the long expired token forgotten")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert isinstance(await tokens.find(fresh, "telegram:1"), ActionToken)


def test_telegram_sends_a_notification_token_as_callback_data_and_reads_it_back_after_a_restart() -> None:
    token = "na:abcdefghijklmnop"
    before = ButtonBook()
    assert before.token_for(token, "telegram:1") == token
    assert ButtonBook().resolve(token, "telegram:1") == token  # a new book (a restart) still knows it
    assert before.token_for("/history week page 2", "telegram:1").startswith("b:")
