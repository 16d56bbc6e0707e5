"""e2e: a fill notification's buttons over the Telegram fake (callback_query) and the Discord fake (component
interaction): a viewer's press is refused by the access check, a trader's Close closes the position once."""

from __future__ import annotations

from pathlib import Path

from fxbot.domain.access import Role
from fxbot.simulator.runner import RunningSimulator
from tests.e2e.test_telegram_flows import GROUP_ID, _positions, _team
from tests.fakes.discord_harness import ALICE, BOB, DESK, discord_app
from tests.fakes.discord_wire import DiscordWire, WireCall
from tests.integration.telegram.harness import telegram_app
from tests.waiting import eventually

OPENED_BUTTONS = ["Close", "Close half", "Breakeven"]


async def test_telegram_viewer_press_is_refused_and_a_trader_closes_once(
        sim_paused: RunningSimulator, tmp_path: Path) -> None:
    async with telegram_app(sim_paused, tmp_path) as tg:
        api = tg.api
        owner, alice, bob, group = await _team(tg, sim_paused)
        await tg.say(owner, "/settings confirm never", chat=group, expect=lambda c: "at once" in c.text)
        await tg.say(alice, "/buy EURUSD 0.1", chat=group, expect=lambda c: "filled" in c.text)
        note = await api.wait_for("sendMessage", lambda c: c.chat_id == GROUP_ID and "Position opened" in c.text)
        assert [b["text"] for b in note.buttons()] == OPENED_BUTTONS
        assert all(b["callback_data"].startswith("na:") for b in note.buttons())
        message = next(m for (chat, _), m in api.messages.items()
                       if chat == GROUP_ID and "Position opened" in str(m.get("text", "")))

        api.press(bob, message, "Close")
        refused = await api.wait_for("answerCallbackQuery", lambda c: c.params.get("show_alert") == "true")
        assert "trader" in str(refused.params.get("text")), refused.params
        assert len(await _positions(sim_paused)) == 1

        api.press(alice, message, "Close")
        await api.wait_for("sendMessage", lambda c: c.chat_id == GROUP_ID and "closed at" in c.text)
        assert await _positions(sim_paused) == []
        answers = len(api.calls_of("answerCallbackQuery"))
        api.press(alice, message, "Close")
        again = await api.wait_for("answerCallbackQuery", count=answers + 1)
        assert "already done" in str(again.params.get("text"))


async def test_discord_viewer_press_is_refused_and_a_trader_closes_once(
        sim_paused: RunningSimulator, tmp_path: Path) -> None:
    async with discord_app(sim_paused, tmp_path) as bot:
        await bot.bind_channel(DESK, owner=ALICE, members={BOB: Role.VIEWER})
        await bot.app.storage.settings.set_confirm(f"discord:{DESK}", "never")
        pump = bot.app.pump
        assert pump is not None
        bot.app.start_background()  # discord_app runs the adapter only: the pump and the notifier too here
        try:
            await eventually(lambda: bool(pump.statuses()) and all(s.connected for s in pump.statuses()),
                             "the stream of the bound key")
            wire = bot.wire
            wire.inject(wire.slash("buy", {"symbol": "EURUSD", "volume": 0.1}, user=ALICE, channel_id=DESK))
            await wire.wait_for("POST", "/webhooks/")
            note = await _opened_note(wire, f"/channels/{DESK}/messages")
            assert [b["label"] for b in note.buttons()] == OPENED_BUTTONS
            close_id = note.buttons()[0]["custom_id"]

            before = len(wire.calls)
            wire.inject(wire.press(close_id, message=note, user=BOB, channel_id=DESK))
            refusal = await wire.wait_for("POST", "/webhooks/", after=before)
            assert refusal.ephemeral and "trader" in refusal.text(), refusal.text()
            assert len(await bot.positions()) == 1

            before = len(wire.calls)
            wire.inject(wire.press(close_id, message=note, user=ALICE, channel_id=DESK))
            closed = await wire.wait_for("POST", "/webhooks/", after=before)
            assert "closed at" in closed.text(), closed.text()
            assert await bot.positions() == []
            before = len(wire.calls)
            wire.inject(wire.press(close_id, message=note, user=ALICE, channel_id=DESK))
            again = await wire.wait_for("POST", "/webhooks/", after=before)
            assert "already done" in again.text()
        finally:
            await bot.app.stop_background(drain=False)


async def _opened_note(wire: DiscordWire, path: str) -> WireCall:
    """The channel message the notifier posted about the opened position (waiting for it)."""
    count = 1
    while True:
        call = await wire.wait_for("POST", path, count=count)
        if "Position opened" in call.text():
            return call
        count += 1
