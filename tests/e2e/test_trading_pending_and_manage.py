"""e2e: pending orders, /positions and /orders, /modify, /close (id, symbol, all, partial) and /cancel."""

from __future__ import annotations

import pytest

from fxbot.domain.access import Role
from tests.e2e.conftest import KEY_KINDS, BotHarness, reply_text


@pytest.fixture
async def market(bot: BotHarness) -> BotHarness:
    await bot.set_quote("EURUSD", 1.10000, 1.10002)
    await bot.set_quote("GBPUSD", 1.25000, 1.25006)
    return bot


@pytest.mark.parametrize("bot", KEY_KINDS, indirect=True)
@pytest.mark.parametrize(
    ("command", "order_type", "price", "sl", "tp"),
    [
        ("/buylimit EURUSD 0.2 1.0950 sl=20p tp=40p", "BUY_LIMIT", 1.0950, 1.0930, 1.0990),
        ("/selllimit EURUSD 0.2 1.1050 sl=20p tp=40p", "SELL_LIMIT", 1.1050, 1.1070, 1.1010),
        ("/buystop EURUSD 0.2 1.1050 sl=1.1000", "BUY_STOP", 1.1050, 1.1000, None),
        ("/sellstop eurusd 0.2 1.0950 tp=30p", "SELL_STOP", 1.0950, None, 1.0920),
    ],
)
async def test_pending_orders_of_every_type(market: BotHarness, command: str, order_type: str, price: float,
                                            sl: float | None, tp: float | None) -> None:
    bot = market
    text = reply_text(await bot.say(command))
    assert "placed" in text and "pending at" in text, text
    orders = await bot.sim_orders()
    assert len(orders) == 1
    order = orders[0]
    assert order["type"] == order_type and order["price"] == pytest.approx(price)
    assert order["sl"] == (pytest.approx(sl) if sl is not None else None)
    assert order["tp"] == (pytest.approx(tp) if tp is not None else None)
    assert bot.ref(order) in text
    assert await bot.sim_positions() == []


async def test_positions_and_orders_list_what_is_open(market: BotHarness) -> None:
    bot = market
    assert "No open positions" in reply_text(await bot.say("/positions"))
    assert "No pending orders" in reply_text(await bot.say("/orders"))
    await bot.say("/buy EURUSD 0.1 sl=1.0950")
    await bot.say("/sell GBPUSD 0.3")
    await bot.say("/buylimit EURUSD 0.2 1.0900")
    text = reply_text(await bot.say("/positions"))
    assert "2 open positions" in text
    for position in await bot.sim_positions():
        assert position["id"] in text
    assert "EURUSD | BUY | 0.10 | 1.10002" in text and "1.09500" in text
    assert "GBPUSD | SELL | 0.30 | 1.25000" in text
    text = reply_text(await bot.say("/orders"))
    order = (await bot.sim_orders())[0]
    assert f"{order['id']} | EURUSD | BUY LIMIT | 0.20 | 1.09000" in text


async def test_modify_sets_and_clears_stops(market: BotHarness) -> None:
    bot = market
    await bot.say("/buy EURUSD 0.1 sl=1.0950 tp=1.1100")
    position = (await bot.sim_positions())[0]
    text = reply_text(await bot.say(f"/modify {position['id']} sl=20p tp=none"))
    assert "modified" in text, text
    changed = (await bot.sim_positions())[0]
    assert changed["sl"] == pytest.approx(1.09802)  # 20 pips under the open price 1.10002
    assert changed["tp"] is None
    text = reply_text(await bot.say(f"/modify {position['id']} sl=1.1010"))
    assert "must be below the current bid 1.10000" in text
    assert (await bot.sim_positions())[0]["sl"] == pytest.approx(1.09802)
    text = reply_text(await bot.say(f"/modify {position['id']} price=1.09"))
    assert "only applies to pending orders" in text


async def test_modify_a_pending_order_price(market: BotHarness) -> None:
    bot = market
    await bot.say("/buylimit EURUSD 0.1 1.0950 sl=20p")
    order = (await bot.sim_orders())[0]
    text = reply_text(await bot.say(f"/modify {order['id']} price=1.0900 sl=1.0880"))
    assert "modified" in text, text
    changed = (await bot.sim_orders())[0]
    assert changed["price"] == pytest.approx(1.09) and changed["sl"] == pytest.approx(1.088)
    assert "no open position or pending order" in reply_text(await bot.say("/modify pos_nothere sl=1.0"))
    assert "nothing to change" in reply_text(await bot.say(f"/modify {order['id']}"))


async def test_close_by_id_and_partially(market: BotHarness) -> None:
    bot = market
    await bot.say("/buy EURUSD 0.5")
    position = (await bot.sim_positions())[0]
    text = reply_text(await bot.say(f"/close {position['id']} 0.2"))
    assert "partly closed" in text and "0.30 lots remain" in text, text
    assert (await bot.sim_positions())[0]["volume"] == pytest.approx(0.3)
    assert "more than the position's" in reply_text(await bot.say(f"/close {position['id']} 0.4"))
    text = reply_text(await bot.say(f"/close {position['id']}"))
    assert "closed at 1.10000" in text, text
    assert await bot.sim_positions() == []
    assert (await bot.storage.audit.by_order_ref(position["id"])) is not None


async def test_close_by_symbol_and_all_confirm_with_a_list(market: BotHarness) -> None:
    bot = market
    for command in ("/buy EURUSD 0.1", "/sell EURUSD 0.2", "/buy GBPUSD 0.1"):
        await bot.say(command)
    card = (await bot.say("/close eurusd"))[0]
    assert card.title == "Close 2 positions?" and card.table is not None and len(card.table.rows) == 2
    assert len(await bot.sim_positions()) == 3
    result = await bot.press(card, "Close")
    assert "Closed 2 of 2 positions" in reply_text(result.reply)
    remaining = await bot.sim_positions()
    assert [p["symbol"] for p in remaining] == ["GBPUSD"]
    await bot.say("/sell GBPUSD 0.1")
    card = (await bot.say("/close all"))[0]
    result = await bot.press(card, "Close")
    assert "Closed 2 of 2 positions" in reply_text(result.reply)
    assert await bot.sim_positions() == []
    assert "no open positions" in reply_text(await bot.say("/close all"))
    assert "did you mean EURUSD" in reply_text(await bot.say("/close EURUSDD"))


async def test_cancel_a_pending_order(market: BotHarness) -> None:
    bot = market
    await bot.say("/selllimit EURUSD 0.1 1.1050")
    order = (await bot.sim_orders())[0]
    await bot.say("/buy EURUSD 0.1")
    position = (await bot.sim_positions())[0]
    assert "use /close" in reply_text(await bot.say(f"/cancel {position['id']}"))
    assert "use /cancel" in reply_text(await bot.say(f"/close {order['id']}"))
    text = reply_text(await bot.say(f"/cancel {order['id']}"))
    assert f"Cancelled {order['id']}" in text, text
    assert await bot.sim_orders() == []
    assert "no pending order" in reply_text(await bot.say(f"/cancel {order['id']}"))


async def test_viewer_may_read_but_not_trade_in_a_group(market: BotHarness) -> None:
    bot = market
    viewer = bot.user("vic")
    group = await bot.group_chat(members={viewer: Role.VIEWER})
    assert "No open positions" in reply_text(await bot.say("/positions", user=viewer, chat=group))
    text = reply_text(await bot.say("/buy EURUSD 0.1", user=viewer, chat=group))
    assert "trader" in text, text
    assert await bot.sim_positions() == []
