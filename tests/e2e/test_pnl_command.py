"""e2e: /pnl against the simulator — figures checked against the simulator's own history, periods, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fxbot.chat.types import ReplyKind
from fxbot.domain.access import Role
from fxbot.domain.formatting import format_money, format_signed_money
from fxbot.services.periods import Period
from tests.e2e.conftest import BotHarness, reply_text
from tests.e2e.report_support import engine_of, expected_from, history_rows, trade

DAY = datetime(2026, 4, 2, tzinfo=UTC)  # the harness clock reads 2026-04-02 14:30 UTC


def four_trades(bot: BotHarness) -> None:
    """Two EURUSD wins, one EURUSD loss and one GBPUSD loss on 2026-04-02 (UTC)."""
    t = DAY + timedelta(hours=8)
    trade(bot, "EURUSD", "BUY", open_bid=1.10000, close_bid=1.10250, opened=t, closed=t + timedelta(minutes=30))
    trade(bot, "EURUSD", "SELL", open_bid=1.10300, close_bid=1.10100, opened=t + timedelta(hours=1),
          closed=t + timedelta(hours=2))
    trade(bot, "EURUSD", "BUY", open_bid=1.10100, close_bid=1.10000, opened=t + timedelta(hours=3),
          closed=t + timedelta(hours=4), volume=0.2)
    trade(bot, "GBPUSD", "SELL", open_bid=1.26000, close_bid=1.26400, opened=t + timedelta(hours=4),
          closed=t + timedelta(hours=5))


async def test_pnl_figures_match_the_simulator_history(bot: BotHarness) -> None:
    four_trades(bot)
    expected = expected_from(history_rows(bot))
    assert expected.trades == 4 and expected.wins == 2 and expected.losses == 2
    assert expected.commission < 0  # the simulator charges commission on both sides
    report = await bot.services.reports.build(bot.private_chat.id, Period("today", DAY, DAY + timedelta(days=1)))
    fig = report.figures
    assert fig.trades == 4 and fig.wins == 2 and fig.losses == 2
    assert fig.profit == pytest.approx(expected.profit)
    assert fig.commission == pytest.approx(expected.commission)
    assert fig.swap == pytest.approx(expected.swap)
    assert fig.net == pytest.approx(fig.profit + fig.commission + fig.swap)
    assert fig.net == pytest.approx(expected.net)
    assert fig.win_rate == pytest.approx(50.0)
    assert fig.profit_factor == pytest.approx(expected.gross_win / -expected.gross_loss)
    assert {s.symbol: s.net for s in fig.symbols} == pytest.approx(expected.by_symbol)
    assert sum(s.trades for s in fig.symbols) == 4
    nets = [t.profit + t.commission + t.swap for t in report.trades]
    assert fig.best is not None and fig.best.profit + fig.best.commission + fig.best.swap == max(nets)
    assert fig.worst is not None and fig.worst.profit + fig.worst.commission + fig.worst.swap == min(nets)
    engine, account = engine_of(bot)
    balance_now = engine.account(account)["balance"]
    assert report.balance_start == pytest.approx(10_000.0)  # the demo account's opening balance
    assert report.balance_end == pytest.approx(balance_now)
    assert report.balance_start is not None
    assert report.balance_end == pytest.approx(report.balance_start + expected.net)
    assert report.equity_end == pytest.approx(engine.account(account)["equity"])
    assert [round(p.value, 2) for p in report.curve][:1] == [10_000.0]
    assert report.curve[-2].value == pytest.approx(balance_now)

    replies = await bot.say("/pnl")
    text = reply_text(replies)
    reply = replies[0]
    assert reply.title == "P&L — today"
    assert f"net {format_signed_money(expected.net, 'USD')}" in text
    assert f"commission {format_money(expected.commission, None)}" in text
    assert "4 trades: 2 won, 2 lost — win rate 50.0%" in text
    assert f"profit factor {expected.gross_win / -expected.gross_loss:.2f}" in text
    assert f"balance 10,000.00 → {format_money(balance_now, 'USD')}" in text
    assert reply.table is not None and [row[0] for row in reply.table.rows] == sorted(
        expected.by_symbol, key=lambda s: -abs(expected.by_symbol[s]))
    assert reply.image is not None and reply.image.data.startswith(b"\x89PNG\r\n\x1a\n")


async def test_pnl_counts_swap_of_a_position_held_over_rollovers(bot: BotHarness) -> None:
    engine, account = engine_of(bot)
    start = bot.sim.state.clock()  # swap is booked at rollovers after the simulator started
    closed = start + timedelta(days=3)
    trade(bot, "XAUUSD", "BUY", open_bid=2300.0, close_bid=2310.0, opened=start + timedelta(minutes=1),
          closed=closed)
    rows = history_rows(bot)
    assert rows[0]["swap"] < 0  # gold longs pay swap
    bot.clock.current = closed + timedelta(hours=1)
    first = (start + timedelta(minutes=1)).date()
    replies = await bot.say(f"/pnl {first} {closed.date()} XAUUSD")
    text = reply_text(replies)
    assert f"swap {format_money(rows[0]['swap'], None)}" in text
    net = rows[0]["profit"] + rows[0]["commission"] + rows[0]["swap"]
    assert f"net {format_signed_money(net, 'USD')}" in text
    assert engine.account(account)["balance"] == pytest.approx(10_000.0 + net)


async def test_pnl_periods_and_symbol_filter(bot: BotHarness) -> None:
    four_trades(bot)
    gbp = reply_text(await bot.say("/pnl today GBPUSD"))
    assert "P&L — today, GBPUSD" in gbp and "1 trades: 0 won, 1 lost" in gbp
    bot.clock.current = DAY + timedelta(days=1, hours=12)
    yesterday = reply_text(await bot.say("/pnl yesterday"))
    assert "P&L — yesterday (2026-04-02)" in yesterday and "4 trades" in yesterday
    assert "no closed trades" in reply_text(await bot.say("/pnl today"))
    assert "4 trades" in reply_text(await bot.say("/pnl week"))
    assert "4 trades" in reply_text(await bot.say("/pnl month"))
    # In Tokyo (UTC+9) the trades of 08:00-13:00 UTC fall on the local 2026-04-02 too, 17:00-22:00 JST.
    await bot.say("/settings timezone Asia/Tokyo")
    tokyo = reply_text(await bot.say("/pnl 2026-04-02 2026-04-02"))
    assert "4 trades" in tokyo and "2026-04-02 00:00 JST → 2026-04-03 00:00 JST" in tokyo
    # In Honolulu (UTC-10) 08:00 UTC is still 2026-04-01 22:00: the first trade (closed 08:30) is the 1st.
    await bot.say("/settings timezone Pacific/Honolulu")
    assert "3 trades" in reply_text(await bot.say("/pnl 2026-04-02 2026-04-02"))


async def test_pnl_bad_input_gets_a_specific_reply(bot: BotHarness) -> None:
    for text, message in [
        ("/pnl 2026-13-01 2026-13-02", "not a date"),
        ("/pnl 2026-04-05 2026-04-01", "ends (2026-04-01) before it starts"),
        ("/pnl 2026-04-05", "needs two dates"),
        ("/pnl week month", "one period only"),
        ("/pnl EURUSDD", "did you mean EURUSD"),
        ("/pnl fortnight", "neither a period"),
        ("/pnl EURUSD GBPUSD", "at most one symbol"),
        ("/pnl 2025-01-01 2026-04-01", "at most 366 days"),
    ]:
        replies = await bot.say(text)
        assert replies[0].kind is ReplyKind.ERROR, text
        assert message in reply_text(replies), (text, reply_text(replies))
    unbound = await bot.group_chat("nokey", scope=None)
    refused = await bot.say("/pnl", chat=unbound)
    assert refused[0].kind is ReplyKind.ERROR and "no FxSocket key" in reply_text(refused)


async def test_pnl_in_a_group_splits_pnl_by_member(bot: BotHarness) -> None:
    bot.clock.current = datetime.now(UTC)
    alice = bot.user("alice")
    group = await bot.group_chat("desk", members={alice: Role.TRADER})
    await bot.set_quote("EURUSD", 1.10000)
    card = await bot.say("/buy EURUSD 0.1", user=alice, chat=group)
    done = await bot.press(card[0], "Confirm", user=alice, chat=group)
    assert done.reply is not None and done.reply.kind is ReplyKind.OK, reply_text(done.reply)
    positions = await bot.sim_positions()
    await bot.set_quote("EURUSD", 1.10300)
    engine, account = engine_of(bot)
    engine.close_order(account, positions[0]["id"], None, datetime.now(UTC))
    outside_open = datetime.now(UTC)
    trade(bot, "GBPUSD", "BUY", open_bid=1.26, close_bid=1.25, opened=outside_open, closed=outside_open)
    rows = {r["symbol"]: r for r in history_rows(bot)}
    alice_net = rows["EURUSD"]["profit"] + rows["EURUSD"]["commission"] + rows["EURUSD"]["swap"]
    text = reply_text(await bot.say("/pnl", chat=group))
    assert "by member (orders placed through the bot):" in text
    assert f"alice: 1 trades, net {format_signed_money(alice_net, None)}" in text
    assert "outside the bot: 1 trades" in text
    assert "by member" not in reply_text(await bot.say("/pnl"))  # a private chat has one member
