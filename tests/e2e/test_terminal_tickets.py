"""e2e: positions and orders named by their MetaTrader ticket — typed as the terminal shows it (12345678 or
#12345678) in /modify, /close and /cancel, shown as #12345678 in replies — while /close SYMBOL and /close all
keep working and a bare number is never read as a volume or a symbol."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fxbot.domain.access import Scope
from fxbot.domain.broker import OrderType, PendingOrder, Side
from fxbot.storage import Storage
from tests.e2e.conftest import reply_text
from tests.e2e.terminal_harness import TerminalBot
from tests.fakes.terminal_broker import NOW, TerminalBroker, TicketBroker


@pytest.fixture
async def bot(tmp_path: Path, master_env: dict[str, str]) -> AsyncIterator[TerminalBot]:
    storage = await Storage.open(tmp_path / "fxbot.db", master_env)
    harness = TerminalBot(storage, TerminalBroker())
    await harness.bind(Scope.TRADE)
    try:
        yield harness
    finally:
        await harness.close()
        await storage.close()


def add_order(broker: TicketBroker, ticket: str = "50200001") -> PendingOrder:
    order = PendingOrder(id=ticket, symbol="EURUSD", type=OrderType.BUY_STOP_LIMIT, volume=0.2, price=1.09,
                         stop_limit_price=1.0895, created_at=NOW)
    broker.orders[ticket] = order
    return order


async def test_positions_and_orders_show_tickets_as_metatrader_does(bot: TerminalBot) -> None:
    position = bot.broker.add_position()
    add_order(bot.broker)
    positions = (await bot.say("/positions"))[0]
    assert positions.table is not None and positions.table.rows[0][0] == f"#{position.id}"
    orders = (await bot.say("/orders"))[0]
    assert orders.table is not None
    assert orders.table.rows[0][0] == "#50200001" and orders.table.rows[0][2] == "BUY STOP LIMIT"
    assert orders.table.rows[0][4] == "1.09000 → limit 1.08950"


@pytest.mark.parametrize("typed", ["{t}", "#{t}"])
async def test_close_takes_the_ticket_with_or_without_the_hash(bot: TerminalBot, typed: str) -> None:
    position = bot.broker.add_position()
    replies = await bot.say(f"/close {typed.format(t=position.id)}")
    assert replies[0].title == f"#{position.id} (BUY 0.10 EURUSD)", reply_text(replies)
    assert "closed at" in reply_text(replies)
    assert ("close_order", {"order_id": position.id, "volume": None}) in bot.broker.calls


async def test_a_ticket_then_a_volume_closes_part_of_the_position(bot: TerminalBot) -> None:
    position = bot.broker.add_position(volume=0.1)
    replies = await bot.say(f"/close #{position.id} 0.05")
    assert "partly closed" in reply_text(replies)
    assert ("close_order", {"order_id": position.id, "volume": 0.05}) in bot.broker.calls


async def test_modify_and_cancel_by_ticket(bot: TerminalBot) -> None:
    position = bot.broker.add_position(open_price=1.08000)
    modified = await bot.say(f"/modify #{position.id} sl=20p")
    assert modified[0].title == f"position #{position.id} (BUY 0.10 EURUSD) modified", reply_text(modified)
    assert ("modify_order", {"order_id": position.id, "changes": {"sl": 1.078}}) in bot.broker.calls
    add_order(bot.broker)
    cancelled = await bot.say("/cancel 50200001")
    assert cancelled[0].title == "Cancelled #50200001"
    assert "BUY STOP LIMIT 0.20 EURUSD at 1.09000 → limit 1.08950 — removed" in reply_text(cancelled)


async def test_wrong_kind_and_unknown_tickets_are_named_as_tickets(bot: TerminalBot) -> None:
    position = bot.broker.add_position()
    add_order(bot.broker)
    assert f"#{position.id} is an open position — use /close #{position.id}" in reply_text(
        await bot.say(f"/cancel {position.id}"))
    assert "#50200001 is a pending order — use /cancel #50200001" in reply_text(await bot.say("/close 50200001"))
    assert "no open position #99999999" in reply_text(await bot.say("/close 99999999"))
    assert "no open position or pending order #99999999" in reply_text(await bot.say("/modify 99999999 sl=20p"))
    assert "close_order" not in bot.broker.names() and "modify_order" not in bot.broker.names()


async def test_close_by_symbol_and_all_still_work(bot: TerminalBot) -> None:
    bot.broker.add_position()
    assert "closed at" in reply_text(await bot.say("/close eurusd"))
    bot.broker.add_position()
    assert "closed at" in reply_text(await bot.say("/close all"))
    assert bot.broker.positions == {}


@pytest.mark.parametrize(("line", "expected"), [
    ("/close 0.05", "'0.05' looks like a volume — say first what to close"),
    ("/close 0", "'0' is not a ticket — MetaTrader tickets are positive whole numbers"),
    ("/close #0", "'#0' is not a ticket"),
    ("/cancel 0", "'0' is not a ticket"),
    ("/modify #abc sl=20p", "'#abc' is not a position or order — give a ticket as MetaTrader shows it"),
])
async def test_ticket_shaped_mistakes_get_a_specific_answer_and_send_nothing(
        bot: TerminalBot, line: str, expected: str) -> None:
    bot.broker.add_position()
    text = reply_text(await bot.say(line))
    assert expected in text, text
    assert not {"close_order", "modify_order"} & set(bot.broker.names())


async def test_an_order_placed_is_named_by_its_ticket(bot: TerminalBot) -> None:
    placed = reply_text(await bot.say("/buylimit EURUSD 0.1 1.0800"))
    assert "order #50123456" in placed and "/cancel #50123456 removes it" in placed
    filled = reply_text(await bot.say("/sell EURUSD 0.1"))
    assert "order #50123457, position #50123457" in filled
    assert bot.broker.positions["50123457"].type is Side.SELL
