"""e2e: multi-TP orders — one position per take profit, equal or explicit shares, with risk sizing."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import KEY_KINDS, BotHarness, reply_text


@pytest.mark.parametrize("bot", KEY_KINDS, indirect=True)
async def test_equal_split_opens_one_position_per_take_profit(bot: BotHarness) -> None:
    await bot.set_quote("EURUSD", 1.10000, 1.10002)
    await bot.say("/settings confirm always")
    card = (await bot.say("/buy EURUSD 0.3 sl=20p tp=20p,40p,60p"))[0]
    text = reply_text(card)
    assert ("take profits: TP1 1.10202 (20.0 pips) × 0.10 lot · TP2 1.10402 (40.0 pips) × 0.10 lot · "
            "TP3 1.10602 (60.0 pips) × 0.10 lot") in text, text
    assert "sent as 3 positions" in text
    assert await bot.sim_positions() == []
    result = await bot.press(card, "Confirm")
    assert "3 of 3 take-profit legs placed" in reply_text(result.reply), reply_text(result.reply)
    positions = sorted(await bot.sim_positions(), key=lambda p: p["tp"])
    assert [(p["volume"], p["tp"], p["sl"]) for p in positions] == [
        (pytest.approx(0.1), pytest.approx(1.10202), pytest.approx(1.09802)),
        (pytest.approx(0.1), pytest.approx(1.10402), pytest.approx(1.09802)),
        (pytest.approx(0.1), pytest.approx(1.10602), pytest.approx(1.09802)),
    ]


async def test_explicit_shares_round_down_and_add_up(bot: BotHarness) -> None:
    await bot.set_quote("EURUSD", 1.10000, 1.10002)
    text = reply_text(await bot.say("/sell EURUSD 0.25 sl=20p tp=20p:50%,40p:30%,60p:20%"))
    assert "3 of 3 take-profit legs placed" in text, text
    volumes = sorted((p["tp"], p["volume"]) for p in await bot.sim_positions())
    # 25 steps: 12.5 → 12 (+1 left over to TP1), 7.5 → 7, 5 → 5
    assert [v for _, v in sorted(volumes, reverse=True)] == [pytest.approx(0.13), pytest.approx(0.07),
                                                             pytest.approx(0.05)]


async def test_multi_tp_with_risk_sizing(bot: BotHarness) -> None:
    await bot.set_quote("EURUSD", 1.10000, 1.10002)
    text = reply_text(await bot.say("/buy EURUSD risk=0.5% sl=25p tp=25p,50p"))  # 50 USD / 250 USD = 0.20
    assert "2 of 2 take-profit legs placed" in text, text
    assert sorted(p["volume"] for p in await bot.sim_positions()) == [pytest.approx(0.1), pytest.approx(0.1)]


@pytest.mark.parametrize(("command", "reason"), [
    ("/buy EURUSD 0.3 sl=20p tp=20p:50%,40p:30%", "add up to 80%, not 100%"),
    ("/buy EURUSD 0.3 sl=20p tp=20p:50%,40p", "to every take profit or to none"),
    ("/buy EURUSD 0.02 sl=20p tp=20p,40p,60p", "below the minimum volume"),
    ("/buy EURUSD 0.3 sl=20p tp=20p,,60p", "empty level"),
    ("/buy EURUSD 0.3 sl=20p tp=20p,1.0900", "take profit 1.09000 must be above"),
    ("/buy EURUSD 0.3 sl=20p tp=20p,40p,60p,80p,100p,120p", "at most 5 take profits"),
])
async def test_bad_take_profits_get_the_reason_and_send_nothing(bot: BotHarness, command: str, reason: str) -> None:
    await bot.set_quote("EURUSD", 1.10000, 1.10002)
    text = reply_text(await bot.say(command))
    assert reason in text, text
    assert await bot.sim_positions() == []
