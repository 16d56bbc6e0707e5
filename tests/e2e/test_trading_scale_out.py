"""e2e: scaling out and closing — /close ID PERCENT%, filtered closes with one card, /cancel all|SYMBOL, /reverse."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import KEY_KINDS, BotHarness, reply_text


@pytest.fixture
async def market(bot: BotHarness) -> BotHarness:
    await bot.set_quote("EURUSD", 1.10000, 1.10002)
    await bot.set_quote("GBPUSD", 1.25000, 1.25006)
    return bot


@pytest.mark.parametrize("bot", KEY_KINDS, indirect=True)
async def test_close_a_percentage_rounded_down_to_the_step(market: BotHarness) -> None:
    bot = market
    await bot.say("/buy EURUSD 0.05")
    position = (await bot.sim_positions())[0]
    text = reply_text(await bot.say(f"/close {bot.ref(position)} 50%"))  # 0.025 → 0.02 closed, 0.03 remain
    assert "partly closed" in text and "0.03 lots remain" in text, text
    assert (await bot.sim_positions())[0]["volume"] == pytest.approx(0.03)
    assert "below the minimum volume" in reply_text(await bot.say(f"/close {bot.ref(position)} 10%"))
    assert "at most 100%" in reply_text(await bot.say(f"/close {bot.ref(position)} 150%"))
    text = reply_text(await bot.say(f"/close {bot.ref(position)} 100%"))
    assert "closed at" in text and "remain" not in text, text
    assert await bot.sim_positions() == []


async def _winners_and_losers(bot: BotHarness) -> None:
    for command in ("/buy EURUSD 0.1", "/sell EURUSD 0.2", "/buy GBPUSD 0.1"):
        assert "filled" in reply_text(await bot.say(command))
    await bot.set_quote("EURUSD", 1.10100, 1.10102)  # the EURUSD BUY wins, the SELL loses
    await bot.set_quote("GBPUSD", 1.25100, 1.25106)  # the GBPUSD BUY wins


@pytest.mark.parametrize("bot", KEY_KINDS, indirect=True)
async def test_close_losers_shows_one_card_with_the_pnl_at_stake(market: BotHarness) -> None:
    bot = market
    await _winners_and_losers(bot)
    card = (await bot.say("/close losers"))[0]
    text = reply_text(card)
    assert card.title == "Close 1 position?", text
    assert "every open position at a loss (net P&L < 0)" in text and "P&L at stake" in text
    assert card.table is not None and [row[2] for row in card.table.rows] == ["SELL"]
    assert len(await bot.sim_positions()) == 3  # nothing before Confirm
    result = await bot.press(card, "Close")
    assert "closed at" in reply_text(result.reply)
    assert sorted((p["symbol"], p["type"]) for p in await bot.sim_positions()) == [("EURUSD", "BUY"),
                                                                                   ("GBPUSD", "BUY")]


async def test_filters_combine(market: BotHarness) -> None:
    bot = market
    await _winners_and_losers(bot)
    card = (await bot.say("/close EURUSD winners"))[0]
    assert "every EURUSD position in profit" in reply_text(card)
    assert card.table is not None and len(card.table.rows) == 1
    await bot.press(card, "Close")
    assert sorted((p["symbol"], p["type"]) for p in await bot.sim_positions()) == [("EURUSD", "SELL"),
                                                                                   ("GBPUSD", "BUY")]
    card = (await bot.say("/close buy"))[0]
    assert "every BUY position" in reply_text(card)
    await bot.press(card, "Close")
    assert [(p["symbol"], p["type"]) for p in await bot.sim_positions()] == [("EURUSD", "SELL")]
    assert "no open position matches" in reply_text(await bot.say("/close GBPUSD sell"))
    assert "buy and sell together" in reply_text(await bot.say("/close buy sell"))
    assert "winners and losers together" in reply_text(await bot.say("/close winners losers"))
    assert "only goes with ONE position" in reply_text(await bot.say("/close EURUSD 50%"))
    assert len(await bot.sim_positions()) == 1


async def test_cancel_all_and_by_symbol_confirm_with_a_list(market: BotHarness) -> None:
    bot = market
    for command in ("/buylimit EURUSD 0.1 1.0950", "/selllimit EURUSD 0.1 1.1050", "/buylimit GBPUSD 0.1 1.2400"):
        assert "placed" in reply_text(await bot.say(command))
    card = (await bot.say("/cancel eurusd"))[0]
    assert card.title == "Cancel 2 pending orders?" and card.table is not None and len(card.table.rows) == 2
    assert len(await bot.sim_orders()) == 3
    result = await bot.press(card, "Cancel 2")
    assert "2 of 2 pending orders cancelled" in reply_text(result.reply)
    assert [o["symbol"] for o in await bot.sim_orders()] == ["GBPUSD"]
    card = (await bot.say("/cancel all"))[0]
    await bot.press(card, "Cancel 1")
    assert await bot.sim_orders() == []
    assert "no pending orders" in reply_text(await bot.say("/cancel all"))


@pytest.mark.parametrize("bot", KEY_KINDS, indirect=True)
async def test_reverse_closes_and_opens_the_other_side_after_one_confirmation(market: BotHarness) -> None:
    bot = market
    await bot.say("/buy EURUSD 0.3")
    position = (await bot.sim_positions())[0]
    card = (await bot.say(f"/reverse {bot.ref(position)}"))[0]
    text = reply_text(card)
    assert "then open SELL 0.30 lot EURUSD" in text and "nothing is resent" in text, text
    assert [b.label for b in card.buttons] == ["Reverse", "Cancel"]
    result = await bot.press(card, "Reverse")
    assert "Reversed" in reply_text(result.reply), reply_text(result.reply)
    positions = await bot.sim_positions()
    assert [(p["type"], p["volume"]) for p in positions] == [("SELL", pytest.approx(0.3))]


async def test_reverse_whose_close_is_unconfirmed_opens_nothing(market: BotHarness) -> None:
    bot = market
    await bot.say("/buy EURUSD 0.3")
    position = (await bot.sim_positions())[0]
    card = (await bot.say(f"/reverse {bot.ref(position)}"))[0]
    await bot.fault(fail_after_next=1)  # the close executes, its answer is lost
    result = await bot.press(card, "Reverse")
    text = reply_text(result.reply)
    assert "NOT resent" in text and "the opposite position was NOT opened" in text, text
    assert await bot.sim_positions() == []  # closed by the lost write, nothing opened
    assert "no open position" in reply_text(await bot.say("/reverse 99999999"))
