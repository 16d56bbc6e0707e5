"""e2e: what traders read in pips — /positions P&L and SL/TP distance, /price as /quote."""

from __future__ import annotations

from tests.e2e.conftest import BotHarness, reply_text


async def test_price_is_an_alias_of_quote(bot: BotHarness) -> None:
    await bot.set_quote("EURUSD", 1.10000, 1.10002)
    price = reply_text(await bot.say("/price EURUSD"))
    assert price == reply_text(await bot.say("/quote EURUSD"))
    assert "bid 1.10000   ask 1.10002" in price and "spread 0.2 pips" in price
    assert "/price" in reply_text(await bot.say("/help quote"))


async def test_positions_show_pnl_and_stop_distances_in_pips(bot: BotHarness) -> None:
    await bot.set_quote("EURUSD", 1.10000, 1.10002)
    await bot.say("/buy EURUSD 0.2 sl=20p tp=40p")  # SL 1.09802, TP 1.10402
    await bot.set_quote("EURUSD", 1.10100, 1.10102)
    reply = (await bot.say("/positions"))[0]
    assert reply.table is not None
    # bid 1.10100 - open 1.10002 = +9.8 pips; SL 29.8 pips below the bid, TP 30.2 above;
    # net 20,000 * 0.00098 = 19.60 - commission 0.70 = 18.90
    assert reply.table.rows[0][6:] == ("+9.8", "+18.90", "1.09802 (29.8)", "1.10402 (30.2)")
    assert any(line.startswith("Pips: gained (+) or lost (−) since the open price") for line in reply.text)
