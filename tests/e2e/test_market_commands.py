"""e2e: /quote, /candles and /history against the real simulator, with good and bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fxbot.chat.types import ReplyKind
from fxbot.domain.access import Role
from tests.e2e.conftest import KEY_KINDS, BotHarness, reply_text


async def close_trades(bot: BotHarness, count: int, *, symbol: str = "EURUSD", account: str | None = None) -> None:
    """Open and close `count` 0.1-lot trades directly on the simulator's engine (no REST rate limit); their
    events are published as the REST routes do, so the SDK face books their deals too."""
    engine = bot.sim.state.engine
    account_id = account or engine.account_ids()[0]
    for n in range(count):
        opened, events = engine.place_order(account_id, symbol=symbol, type="BUY" if n % 2 == 0 else "SELL",
                                            volume=0.1, price=None, sl=None, tp=None, comment=None,
                                            now=datetime.now(UTC))
        _, closed = engine.close_order(account_id, opened["position_id"], None, datetime.now(UTC))
        bot.sim.state.publish([*events, *closed])


async def test_quote_one_symbol(bot: BotHarness) -> None:
    await bot.set_quote("EURUSD", 1.10000, 1.10003)
    replies = await bot.say("/quote eurusd")
    text = reply_text(replies)
    assert replies[0].title == "EURUSD"
    assert "bid 1.10000   ask 1.10003" in text and "spread 0.3 pips" in text


async def test_quote_several_symbols_is_a_table(bot: BotHarness) -> None:
    await bot.set_quote("USDJPY", 151.200, 151.212)
    replies = await bot.say("/quote EURUSD USDJPY,XAUUSD")
    table = replies[0].table
    assert table is not None
    assert [row[0] for row in table.rows] == ["EURUSD", "USDJPY", "XAUUSD"]
    usdjpy = table.rows[1]
    assert usdjpy[1:4] == ("151.200", "151.212", "1.2")


async def test_quote_shows_times_in_the_chats_time_zone(bot: BotHarness) -> None:
    await bot.say("/settings timezone Asia/Tokyo")
    assert "JST" in reply_text(await bot.say("/quote EURUSD"))


async def test_quote_bad_input(bot: BotHarness) -> None:
    unknown = await bot.say("/quote EURUSDD")
    assert unknown[0].kind is ReplyKind.ERROR and "did you mean EURUSD" in reply_text(unknown).replace("?", "")
    missing = await bot.say("/quote")
    assert missing[0].kind is ReplyKind.ERROR and "missing SYMBOLS" in reply_text(missing)
    many = await bot.say("/quote " + " ".join(["EURUSD", "GBPUSD", "USDJPY", "USDCHF", "AUDUSD", "USDCAD",
                                                "NZDUSD", "EURGBP", "EURJPY", "GBPJPY", "EURCHF"]))
    assert many[0].kind is ReplyKind.ERROR and "at most 10 symbols" in reply_text(many)


async def test_candles_default_and_explicit(bot: BotHarness) -> None:
    default = (await bot.say("/candles EURUSD"))[0]
    assert default.title == "EURUSD H1 — last 20 candles"
    assert default.table is not None and len(default.table.rows) == 20
    assert default.table.headers == ("Time", "Open", "High", "Low", "Close")
    assert all(len(cell.split(".")[1]) == 5 for cell in default.table.rows[0][1:])
    custom = (await bot.say("/candles XAUUSD M15 5"))[0]
    assert custom.title == "XAUUSD M15 — last 5 candles"
    assert custom.table is not None and len(custom.table.rows) == 5
    times = [row[0] for row in custom.table.rows]
    assert times == sorted(times)


async def test_candles_bad_input(bot: BotHarness) -> None:
    for text, message in [
        ("/candles EURUSD H2", "timeframe 'H2' must be one of"),
        ("/candles EURUSD H1 201", "above the maximum of 200"),
        ("/candles EURUSD H1 0", "below the minimum of 1"),
        ("/candles", "missing SYMBOL"),
        ("/candles FOOBAR", "unknown symbol"),
    ]:
        replies = await bot.say(text)
        assert replies[0].kind is ReplyKind.ERROR, text
        assert message in reply_text(replies), (text, reply_text(replies))


@pytest.mark.parametrize("bot", KEY_KINDS, indirect=True)
async def test_history_lists_closed_trades_with_net_pnl_and_totals(bot: BotHarness) -> None:
    bot.clock.current = datetime.now(UTC)
    await close_trades(bot, 3)
    await close_trades(bot, 1, symbol="GBPUSD")
    replies = await bot.say("/history")
    reply = replies[0]
    assert reply.title == "Closed trades — today"
    assert reply.table is not None and len(reply.table.rows) == 4
    assert reply.table.headers[4:7] == ("Entry", "Exit", "Net P&L (USD)")
    history = bot.sim.state.engine.history(bot.sim.state.engine.account_ids()[0], start=None, end=None,
                                           symbol=None, type=None, limit=100, offset=0)["trades"]
    net = sum(t["profit"] + t["commission"] + t["swap"] for t in history)
    text = reply_text(replies)
    assert "4 trades" in text
    assert f"net {'+' if net > 0 else ''}{net:,.2f} USD" in text
    assert all(row[7] == "manual" for row in reply.table.rows)
    assert [(row[4], row[5]) for row in reply.table.rows] == [  # both newest first
        (f"{t['open_price']:.5f}", f"{t['close_price']:.5f}") for t in history]
    only_gbp = (await bot.say("/history today GBPUSD"))[0]
    assert only_gbp.table is not None and [row[1] for row in only_gbp.table.rows] == ["GBPUSD"]
    assert only_gbp.title == "Closed trades — today, GBPUSD"


async def test_history_pages_and_says_how_to_see_more(bot: BotHarness) -> None:
    bot.clock.current = datetime.now(UTC)
    await close_trades(bot, 45)
    first = await bot.say("/history week")
    text = reply_text(first)
    assert first[0].table is not None and len(first[0].table.rows) == 20
    assert "45 trades" in text and "page 1 of 3 — /history week page 2" in text
    third = await bot.say("/history week page 3")
    assert third[0].table is not None and len(third[0].table.rows) == 5
    assert "page 3 of 3" in reply_text(third)
    as_option = await bot.say("/history week page=2")
    assert as_option[0].table is not None and len(as_option[0].table.rows) == 20
    beyond = await bot.say("/history week page 4")
    assert beyond[0].kind is ReplyKind.ERROR and "only 3 page(s)" in reply_text(beyond)


async def test_history_date_range_and_the_chats_zone(bot: BotHarness) -> None:
    now = datetime.now(UTC)
    bot.clock.current = now
    await close_trades(bot, 1)
    today = now.date()
    inside = await bot.say(f"/history {today - timedelta(days=1)} {today + timedelta(days=1)}")
    assert inside[0].table is not None and len(inside[0].table.rows) == 1
    before = await bot.say(f"/history {today - timedelta(days=10)} {today - timedelta(days=5)}")
    assert before[0].table is None and "no closed trades" in reply_text(before)
    await bot.say("/settings timezone America/New_York")
    shown = await bot.say("/history month")
    assert shown[0].table is not None and ("EST" in shown[0].table.rows[0][0] or "EDT" in shown[0].table.rows[0][0])


async def test_history_bad_input(bot: BotHarness) -> None:
    for text, message in [
        ("/history yesterday", "neither a period"),
        ("/history 2026-04-05", "needs two dates"),
        ("/history 2026-04-05 2026-04-01", "ends (2026-04-01) before it starts"),
        ("/history 2026-13-01 2026-13-02", "not a date"),
        ("/history week month", "one period only"),
        ("/history week page", "'page' needs a number"),
        ("/history week page 0", "between 1 and 1000"),
        ("/history EURUSD GBPUSD", "at most one symbol"),
    ]:
        replies = await bot.say(text)
        assert replies[0].kind is ReplyKind.ERROR, text
        assert message in reply_text(replies), (text, reply_text(replies))


async def test_read_commands_need_a_key_and_work_for_viewers(bot: BotHarness) -> None:
    viewer = bot.user("vera")
    group = await bot.group_chat("reads", members={viewer: Role.VIEWER}, scope="read-only")
    assert "bid" in reply_text(await bot.say("/quote EURUSD", user=viewer, chat=group))
    unbound = await bot.group_chat("nokey", members={viewer: Role.VIEWER}, scope=None)
    refused = await bot.say("/quote EURUSD", user=viewer, chat=unbound)
    assert refused[0].kind is ReplyKind.ERROR and "no FxSocket key" in reply_text(refused)
