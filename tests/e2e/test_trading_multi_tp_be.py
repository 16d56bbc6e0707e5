"""e2e: be=tp1 on a multi-TP order — the bot's managed stops arm breakeven at TP1 on every later leg."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import BotHarness, reply_text


async def test_be_tp1_arms_breakeven_on_the_later_legs(bot: BotHarness) -> None:
    await bot.set_quote("EURUSD", 1.10000, 1.10002)
    text = reply_text(await bot.say("/buy EURUSD 0.3 sl=20p tp=20p,40p,60p be=tp1"))
    assert "3 of 3 take-profit legs placed" in text, text
    assert "leg 2: breakeven once 20 pips in profit" in text and "leg 3: breakeven once 20 pips" in text, text
    assert "leg 1:" not in text
    stops = bot.services.stops
    assert stops is not None
    rules = stops.rules_for_chat(bot.private_chat.id)
    positions = {p["id"]: p for p in await bot.sim_positions()}
    assert len(rules) == 2 and {r.kind.value for r in rules} == {"be"}
    assert all(r.trigger_points == 200 for r in rules)  # 20 pips on a 5-digit symbol: TP1's distance
    assert sorted(positions[r.position_id]["tp"] for r in rules) == [pytest.approx(1.10402), pytest.approx(1.10602)]


async def test_be_tp1_needs_several_take_profits(bot: BotHarness) -> None:
    await bot.set_quote("EURUSD", 1.10000, 1.10002)
    text = reply_text(await bot.say("/buy EURUSD 0.3 sl=20p tp=20p be=tp1"))
    assert "needs several take profits" in text, text
    assert await bot.sim_positions() == []
