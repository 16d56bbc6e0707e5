"""A chat that blocked the bot gets notifications again once it uses the bot again (Telegram, Discord)."""

from __future__ import annotations

from pathlib import Path

from fxbot.notify.notifier import Notifier
from fxbot.notify.outbox import Outbox, OutboxState
from fxbot.simulator.runner import RunningSimulator
from tests.fakes.discord_harness import ALICE, DESK, discord_app
from tests.fakes.telegram_calls import forbidden
from tests.integration.telegram.harness import telegram_app
from tests.unit.notify.factories import FakeClock, note
from tests.waiting import HANG_S, eventually


async def _state(outbox: Outbox, key: str) -> str:
    value = await outbox.database.fetch_value("SELECT state FROM notify_outbox WHERE dedupe_key = ?", (key,))
    return str(value)


async def _until_state(outbox: Outbox, key: str, state: OutboxState) -> None:
    async def reached() -> bool:
        return await _state(outbox, key) == state

    await eventually(reached, f"{key} to be {state}")


async def test_telegram_chat_that_blocked_then_wrote_again_gets_notified(
    sim_paused: RunningSimulator, tmp_path: Path
) -> None:
    async with telegram_app(sim_paused, tmp_path) as tg:
        api, notifier = tg.api, tg.app.notifier
        assert notifier is not None
        outbox = tg.app.services.alerts.outbox
        person = api.user(555, "Back")
        api.fail("sendMessage", forbidden(), chat_id=555)
        await outbox.enqueue(note("telegram:555", "a"))
        await eventually(lambda: "telegram:555" in notifier.blocked_chats, "the chat to be blocked")
        await outbox.enqueue(note("telegram:555", "b"))
        await _until_state(outbox, "b", OutboxState.UNDELIVERABLE)
        assert len([c for c in api.calls if c.method == "sendMessage" and c.chat_id == 555]) == 1

        await tg.say(person, "/help")  # the person unblocked the bot and writes to it
        await eventually(lambda: "telegram:555" not in notifier.blocked_chats, "the chat to be reachable again")
        await outbox.enqueue(note("telegram:555", "c", title="margin alert after the comeback"))
        sent = await api.wait_for("sendMessage", lambda c: c.chat_id == 555 and "after the comeback" in c.text)
        assert "after the comeback" in sent.text
        assert await tg.app.storage.db.fetch_value("SELECT COUNT(*) FROM blocked_chats") == 0


async def test_discord_channel_that_refused_then_used_the_bot_again_gets_notified(
    sim_paused: RunningSimulator, tmp_path: Path
) -> None:
    async with discord_app(sim_paused, tmp_path) as bot:
        clock = FakeClock()
        outbox = bot.app.services.alerts.outbox
        notifier = Notifier(outbox, {"discord": bot.adapter.delivery}, clock=clock, sleep=clock.sleep)
        clock.busy = lambda: notifier.sends_in_flight > 0
        bot.app.notifier = notifier  # the app's notifier, on a fake clock (the retries back off)
        channel, messages = f"discord:{DESK}", f"/channels/{DESK}/messages"
        bot.wire.failures[("POST", messages)] = 403
        await outbox.enqueue(note(channel, "a"))
        assert await notifier.drain(HANG_S)
        assert notifier.blocked_chats == {channel}
        del bot.wire.failures[("POST", messages)]
        tried = len(bot.wire.find("POST", messages))
        await outbox.enqueue(note(channel, "b"))
        assert await notifier.drain(HANG_S)
        assert len(bot.wire.find("POST", messages)) == tried and await _state(outbox, "b") == OutboxState.UNDELIVERABLE

        bot.wire.inject(bot.wire.slash("help", {}, user=ALICE, channel_id=DESK))  # someone uses the bot there
        await eventually(lambda: channel not in notifier.blocked_chats, "the channel to be reachable again")
        await outbox.enqueue(note(channel, "c", title="drawdown alert after the comeback"))
        assert await notifier.drain(HANG_S)
        assert "after the comeback" in bot.wire.find("POST", messages)[-1].text()
