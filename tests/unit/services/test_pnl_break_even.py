"""Money is summed exactly: trades that net 0.00 (but ±1e-17 in float arithmetic) are neither wins nor losses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fxbot.commands.market import history_reply
from fxbot.domain.broker import Position, Side, Trade
from fxbot.services.market import TradeHistory
from fxbot.services.periods import named_period
from fxbot.services.pnl_figures import (
    balance_curve,
    floating_pnl,
    money_sum,
    position_net,
    trade_figures,
    trade_net,
)

T0 = datetime(2026, 4, 2, 8, tzinfo=UTC)


def make(n: int, profit: float, commission: float, swap: float) -> Trade:
    return Trade(id=f"t{n}", symbol="EURUSD", type=Side.BUY, volume=0.1, profit=profit, commission=commission,
                 swap=swap, closed_at=T0 + timedelta(minutes=n))


# In float arithmetic these net +8.3e-17 and -2.8e-17; each is exactly 0.00.
ABOVE_ZERO = (1.1, -1.0, -0.1)
BELOW_ZERO = (0.3, -0.1, -0.2)


def test_the_break_even_trades_really_are_off_by_a_rounding_error_in_floats() -> None:
    assert 1.1 + -1.0 + -0.1 > 0 and 0.3 + -0.1 + -0.2 < 0
    assert trade_net(make(1, *ABOVE_ZERO)) == 0.0 and trade_net(make(2, *BELOW_ZERO)) == 0.0
    assert money_sum([0.1, 0.2, -0.3]) == 0.0


def test_break_even_trades_count_neither_as_wins_nor_as_losses() -> None:
    trades = [make(1, 10.7, -0.7, 0.0), make(2, *ABOVE_ZERO), make(3, *BELOW_ZERO), make(4, -3.3, -0.7, 0.0)]
    fig = trade_figures(trades)
    assert (fig.trades, fig.wins, fig.losses) == (4, 1, 1)
    assert fig.win_rate == 25.0  # 1 of 4
    assert fig.gross_win == 10.0 and fig.gross_loss == -4.0 and fig.profit_factor == 2.5
    assert fig.net == 6.0 and fig.profit == 8.8 and fig.commission == -2.5 and fig.swap == -0.3
    assert [(s.symbol, s.wins, s.net) for s in fig.symbols] == [("EURUSD", 1, 6.0)]


def test_no_real_loss_means_no_profit_factor_even_with_a_float_dust_loss() -> None:
    fig = trade_figures([make(1, 5.7, -0.7, 0.0), make(2, *BELOW_ZERO)])
    assert (fig.wins, fig.losses) == (1, 0)
    assert fig.gross_loss == 0.0 and fig.profit_factor is None  # shown as "∞ (no losing trades)"
    assert trade_figures([make(1, *ABOVE_ZERO)]).best is not None
    assert trade_figures([make(1, *ABOVE_ZERO)]).wins == 0


def test_curves_and_floating_pnl_are_summed_exactly() -> None:
    curve = balance_curve([make(1, *ABOVE_ZERO), make(2, *BELOW_ZERO)], start=T0, start_balance=1000.0)
    assert [p.value for p in curve] == [1000.0, 1000.0, 1000.0]
    position = Position(id="p1", symbol="EURUSD", type=Side.BUY, volume=0.1, open_price=1.1, profit=0.3,
                        commission=-0.1, swap=-0.2)
    assert position_net(position) == 0.0
    floating = floating_pnl([position, position])
    assert floating.net == 0.0 and (floating.profit, floating.commission, floating.swap) == (0.6, -0.2, -0.4)


def test_history_totals_count_a_break_even_trade_as_no_win() -> None:
    history = TradeHistory(period=named_period("today", T0 + timedelta(hours=1), ZoneInfo("UTC")), symbol=None,
                           trades=(make(1, *ABOVE_ZERO), make(2, 5.7, -0.7, 0.0)), total=2, currency="USD")
    reply = history_reply(history, page=1, words="today", timezone="UTC")
    assert reply.text[0].startswith("2 trades, 1 won — net +5.00 USD")
    assert reply.table is not None and reply.table.rows[0][6] == "0.00"
