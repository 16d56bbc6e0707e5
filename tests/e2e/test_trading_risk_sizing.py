"""e2e: orders sized by the money at risk (risk=1%, risk=0.5%eq, risk=50) over both kinds of key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fxbot.domain.access import Scope
from fxbot.domain.broker import OrderRequest, OrderType
from fxbot.storage import Storage
from tests.e2e.conftest import KEY_KINDS, BotHarness, reply_text
from tests.e2e.terminal_harness import TerminalBot
from tests.fakes.terminal_broker import TerminalBroker


@pytest.mark.parametrize("bot", KEY_KINDS, indirect=True)
async def test_risk_percent_sizes_a_market_order_and_the_card_shows_the_risk(bot: BotHarness) -> None:
    await bot.set_quote("EURUSD", 1.10000, 1.10002)
    balance = (await bot.sim_account())["balance"]
    assert balance == pytest.approx(10_000)
    card = (await bot.say("/buy EURUSD risk=3% sl=10p tp=20p"))[0]  # 300 USD / (10 pips × 10 USD) = 3 lots
    text = reply_text(card)
    assert "Confirm BUY 3.00 lots EURUSD?" in text, text
    assert "risk: 300.00 USD at the stop (3.00% of the balance) — asked risk=3% = 300.00 USD" in text
    assert "volume: 3.00 lots chosen by risk (100.00 USD per lot" in text
    assert "reward:risk (R:R) 1:2.00" in text
    result = await bot.press(card, "Confirm")
    assert "filled" in reply_text(result.reply)
    positions = await bot.sim_positions()
    assert [p["volume"] for p in positions] == [pytest.approx(3.0)]
    assert positions[0]["sl"] == pytest.approx(1.09902)


async def test_risk_sizes_a_jpy_pending_order_named_by_price(bot: BotHarness) -> None:
    await bot.set_quote("USDJPY", 150.000, 150.010)
    # 0.5% of 10,000 = 50 USD; 25 pips = 0.25 JPY × 100k = 25,000 JPY = 166.67 USD per lot at 150 → 0.30 lots
    replies = await bot.say("/buylimit USDJPY price=149.500 risk=0.5% sl=25p")
    text = reply_text(replies)
    assert "placed" in text, text
    orders = await bot.sim_orders()
    assert [o["volume"] for o in orders] == [pytest.approx(0.30)]


async def test_rounding_that_lowers_the_risk_is_said_on_the_card(bot: BotHarness) -> None:
    await bot.set_quote("XAUUSD", 2300.00, 2300.30)
    # risk=50 money, 170 pips = 17.00 USD × 100 oz = 1,700 USD per lot → 0.0294 → 0.02 lots = 34 USD (-32%)
    await bot.say("/settings confirm always")
    card = (await bot.say("/buy XAUUSD risk=50 sl=170p"))[0]
    text = reply_text(card)
    assert "Confirm BUY 0.02 lot XAUUSD?" in text, text
    assert "lowers the risk by 32%" in text


@pytest.mark.parametrize(("command", "reason"), [
    ("/buy EURUSD risk=1%", "needs one: add sl="),
    ("/buy EURUSD 0.1 risk=1% sl=20p", "either a VOLUME or risk=, not both"),
    ("/buy EURUSD risk=0 sl=20p", "more than zero"),
    ("/buy EURUSD risk=150% sl=20p", "more than 100%"),
    ("/buy EURUSD risk=lots sl=20p", "not a percentage"),
    ("/buy EURUSD sl=20p", "missing VOLUME"),
    ("/buy EURUSD risk=0.01 sl=20p", "below the minimum"),
    ("/buylimit EURUSD risk=1% sl=20p", "missing PRICE"),
])
async def test_bad_risk_input_gets_the_reason_and_sends_nothing(bot: BotHarness, command: str, reason: str) -> None:
    await bot.set_quote("EURUSD", 1.10000, 1.10002)
    text = reply_text(await bot.say(command))
    assert reason in text, text
    assert await bot.sim_positions() == [] and await bot.sim_orders() == []


async def test_without_a_card_the_fill_still_says_what_was_risked(bot: BotHarness) -> None:
    await bot.set_quote("EURUSD", 1.10000, 1.10002)
    text = reply_text(await bot.say("/buy EURUSD risk=50 sl=25p"))  # private chat, 0.20 lot: no card
    assert "filled" in text and "risk: 50.00 USD at the stop (0.50% of the balance)" in text, text


async def test_gold_on_a_eur_account_converts_the_risk_into_euros(bot: BotHarness) -> None:
    assert "now uses acc_4pQr7" in reply_text(await bot.say("/use 2"))  # EUR account, balance 5,000 EUR
    await bot.set_quote("EURUSD", 1.24999, 1.25001)
    await bot.set_quote("XAUUSD", 2300.00, 2300.20)
    # 1% = 50 EUR; 50 pips = 5.00 USD × 100 oz = 500 USD = 400 EUR per lot → 0.125 → 0.12 lot = 48 EUR
    text = reply_text(await bot.say("/sell XAUUSD risk=1% sl=50p"))
    assert "SELL 0.12 lot XAUUSD filled" in text, text
    assert "risk: 48.00 EUR at the stop (0.96% of the balance) — asked risk=1% = 50.00 EUR" in text
    positions = await bot.sim_positions("acc_4pQr7")
    assert [p["volume"] for p in positions] == [pytest.approx(0.12)]


@pytest.fixture
async def terminal(tmp_path: Path, master_env: dict[str, str]) -> AsyncIterator[TerminalBot]:
    """The bot on a trade-scoped terminal-API key (stop-limit orders exist there); EURUSD at 1.08340 / 1.08342."""
    storage = await Storage.open(tmp_path / "fxbot.db", master_env)
    harness = TerminalBot(storage, TerminalBroker())
    try:
        yield harness
    finally:
        await harness.close()
        await storage.close()


async def test_a_stop_limit_is_sized_from_its_limit(terminal: TerminalBot) -> None:
    await terminal.bind(Scope.TRADE)
    # it fills at the limit 1.0895: the stop 20 pips under it risks 200 USD a lot → 1% of 10,000 = 0.50 lot
    text = reply_text(await terminal.say("/buystoplimit EURUSD price=1.0900 limit=1.0895 risk=1% sl=20p"))
    assert "BUY STOP LIMIT 0.50 lot EURUSD placed" in text, text
    sent = [kwargs["request"] for name, kwargs in terminal.broker.calls if name == "place_order"]
    assert sent == [OrderRequest(symbol="EURUSD", type=OrderType.BUY_STOP_LIMIT, volume=0.5, price=1.09, sl=1.0875,
                                 stop_limit_price=1.0895)]
