"""e2e: /buystoplimit and /sellstoplimit — checked before anything is sent (stop beyond the market, limit on the
filling side), shown on the pre-trade card, placed with a terminal-API key, and refused with a plain reason
(nothing sent) by the /v1 API, which has no stop-limit orders."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fxbot.chat.types import ReplyKind
from fxbot.domain.access import Scope
from fxbot.domain.broker import OrderRequest, OrderType
from fxbot.storage import Storage
from tests.e2e.conftest import BotHarness, reply_text
from tests.e2e.terminal_harness import READ_ONLY_KEY, TerminalBot
from tests.fakes.terminal_broker import TerminalBroker


@pytest.fixture
async def terminal(tmp_path: Path, master_env: dict[str, str]) -> AsyncIterator[TerminalBot]:
    """The bot on a trade-scoped terminal-API key; EURUSD at 1.08340 / 1.08342."""
    storage = await Storage.open(tmp_path / "fxbot.db", master_env)
    harness = TerminalBot(storage, TerminalBroker())
    try:
        yield harness
    finally:
        await harness.close()
        await storage.close()


def sent(bot: TerminalBot) -> list[OrderRequest]:
    return [kwargs["request"] for name, kwargs in bot.broker.calls if name == "place_order"]


async def test_a_buy_stop_limit_is_placed_with_its_limit_and_stops_from_the_limit(terminal: TerminalBot) -> None:
    await terminal.bind(Scope.TRADE)
    replies = await terminal.say("/buystoplimit EURUSD 0.1 1.0900 1.0895 sl=20p tp=40p")
    text = reply_text(replies)
    assert replies[0].kind is ReplyKind.OK, text
    assert sent(terminal) == [OrderRequest(symbol="EURUSD", type=OrderType.BUY_STOP_LIMIT, volume=0.1, price=1.09,
                                           sl=1.0875, tp=1.0935, stop_limit_price=1.0895)]
    assert "BUY STOP LIMIT 0.10 lot EURUSD placed" in text
    assert "pending: when the price reaches 1.09000, a limit order at 1.08950 is placed" in text
    assert "order #50123456" in text and "/cancel #50123456 removes it" in text


async def test_a_sell_stop_limit_is_the_mirror(terminal: TerminalBot) -> None:
    await terminal.bind(Scope.TRADE)
    await terminal.say("/sellstoplimit EURUSD 0.1 1.0800 1.0805 sl=20p")
    assert sent(terminal) == [OrderRequest(symbol="EURUSD", type=OrderType.SELL_STOP_LIMIT, volume=0.1, price=1.08,
                                           sl=1.0825, stop_limit_price=1.0805)]


@pytest.mark.parametrize(("line", "fragment"), [
    ("/buystoplimit EURUSD 0.1 1.0800 1.0795", "a BUY STOP LIMIT's stop price must be above the current ask"),
    ("/buystoplimit EURUSD 0.1 1.0900 1.0910", "a BUY STOP LIMIT's limit 1.09100 must be at or below its stop"),
    ("/sellstoplimit EURUSD 0.1 1.0900 1.0905", "a SELL STOP LIMIT's stop price must be below the current bid"),
    ("/sellstoplimit EURUSD 0.1 1.0800 1.0795", "a SELL STOP LIMIT's limit 1.07950 must be at or above its stop"),
    ("/buystoplimit EURUSD 0.1 1.0900 1.0895 sl=1.0900", "the stop loss 1.09000 must be below the limit price"),
    ("/buystoplimit EURUSD 0.1 1.0900", "missing LIMIT"),
])
async def test_wrong_prices_are_refused_before_anything_is_sent(terminal: TerminalBot, line: str,
                                                                fragment: str) -> None:
    await terminal.bind(Scope.TRADE)
    text = reply_text(await terminal.say(line))
    assert fragment in text, text
    assert sent(terminal) == []


async def test_the_card_shows_the_stop_and_the_limit(terminal: TerminalBot) -> None:
    await terminal.bind(Scope.TRADE)
    card = (await terminal.say("/buystoplimit EURUSD 2 1.0900 1.0895 sl=20p"))[0]  # above 1 lot: a card
    assert card.title == "Confirm BUY STOP LIMIT 2.00 lots EURUSD?"
    text = reply_text(card)
    assert "stop price: 1.09000, then a limit order at 1.08950 (now bid 1.08340 / ask 1.08342)" in text
    assert "stop loss: 1.08750 (20.0 pips)" in text  # measured from the limit, where it fills
    assert sent(terminal) == []
    result = await terminal.press(card, "Confirm")
    assert "a limit order at 1.08950 is placed" in reply_text(result.reply)
    assert len(sent(terminal)) == 1


async def test_a_read_only_key_cannot_place_one(terminal: TerminalBot) -> None:
    await terminal.bind(Scope.READ_ONLY, secret=READ_ONLY_KEY)
    text = reply_text(await terminal.say("/buystoplimit EURUSD 0.1 1.0900 1.0895"))
    assert "read-only" in text and "trade" in text, text
    assert sent(terminal) == []


async def test_the_v1_api_refuses_stop_limit_orders_and_nothing_is_sent(bot: BotHarness) -> None:
    await bot.set_quote("EURUSD", 1.10000, 1.10002)
    replies = await bot.say("/buystoplimit EURUSD 0.1 1.1050 1.1045")
    text = reply_text(replies)
    assert replies[0].kind is ReplyKind.ERROR, text
    assert "this account's FxSocket API does not support stop-limit orders — nothing was sent" in text
    assert "/buystop or /buylimit works here" in text
    assert await bot.sim_orders() == [] and await bot.sim_positions() == []
    sell = reply_text(await bot.say("/sellstoplimit EURUSD 0.1 1.0950 1.0955"))
    assert "does not support stop-limit orders — nothing was sent" in sell and "/sellstop or /selllimit" in sell
    assert await bot.sim_orders() == []


async def test_modifying_a_stop_limit_order_judges_stops_from_its_limit(terminal: TerminalBot) -> None:
    await terminal.bind(Scope.TRADE)
    await terminal.say("/buystoplimit EURUSD 0.1 1.0900 1.0895")
    ticket = next(iter(terminal.broker.orders))
    refused = reply_text(await terminal.say(f"/modify #{ticket} price=1.0890"))  # the stop would fall under the limit
    assert "a BUY STOP LIMIT's limit 1.08950 must be at or below its stop price 1.08900" in refused
    modified = reply_text(await terminal.say(f"/modify {ticket} sl=20p"))
    assert f"order #{ticket} (BUY STOP LIMIT 0.10 EURUSD) modified" in modified
    assert ("modify_order", {"order_id": ticket, "changes": {"sl": 1.0875}}) in terminal.broker.calls
