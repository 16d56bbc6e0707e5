"""e2e: /history pages with Refresh / Next buttons that run the command for whoever presses them."""

from __future__ import annotations

from datetime import UTC, datetime

from fxbot.domain.access import Role
from tests.e2e.conftest import BotHarness, button_labels, reply_text
from tests.e2e.test_market_commands import close_trades


async def test_history_next_and_refresh_buttons(bot: BotHarness) -> None:
    bot.clock.current = datetime.now(UTC)
    await close_trades(bot, 45)
    first = (await bot.say("/history week"))[0]
    assert button_labels(first) == ["Refresh", "Next"]
    assert [b.action for b in first.buttons] == ["/history week page 1", "/history week page 2"]
    second = await bot.press(first, "Next")
    assert second.reply is not None and "page 2 of 3" in reply_text(second.reply)
    assert second.reply.table is not None and len(second.reply.table.rows) == 20
    third = await bot.press(second.reply, "Next")
    assert third.reply is not None and "page 3 of 3" in reply_text(third.reply)
    assert button_labels(third.reply) == ["Refresh"]  # the last page has no Next
    await close_trades(bot, 1)
    refreshed = await bot.press(third.reply, "Refresh")
    assert refreshed.reply is not None and "46 trades" in reply_text(refreshed.reply)


async def test_history_buttons_run_for_the_presser_with_their_rights(bot: BotHarness) -> None:
    bot.clock.current = datetime.now(UTC)
    await close_trades(bot, 25, symbol="GBPUSD")
    viewer = bot.user("val")
    group = await bot.group_chat("desk", members={viewer: Role.VIEWER})
    shown = (await bot.say("/history today GBPUSD", chat=group))[0]
    assert [b.action for b in shown.buttons] == ["/history today GBPUSD page 1", "/history today GBPUSD page 2"]
    pressed = await bot.press(shown, "Next", user=viewer, chat=group)
    assert pressed.reply is not None and "page 2 of 2" in reply_text(pressed.reply)
    single = (await bot.say("/history 2026-01-01 2026-01-02 EURUSD"))[0]
    assert single.buttons == ()  # no trades: nothing to page or refresh
