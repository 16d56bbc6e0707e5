"""P&L arithmetic: net = profit + commission + swap, wins/losses, win rate, profit factor, per symbol, curves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fxbot.chat.symbols import SymbolResolver
from fxbot.commands.pnl_args import parse_pnl_query
from fxbot.domain.broker import Side, Trade
from fxbot.domain.instruments import INSTRUMENTS
from fxbot.errors import UsageError
from fxbot.services.pnl_figures import CurvePoint, balance_curve, thin_curve, trade_figures, trade_net

T0 = datetime(2026, 4, 2, 8, tzinfo=UTC)


def make(n: int, profit: float, *, commission: float = -0.7, swap: float = 0.0, symbol: str = "EURUSD") -> Trade:
    return Trade(id=f"t{n}", symbol=symbol, type=Side.BUY, volume=0.1, profit=profit, commission=commission,
                 swap=swap, closed_at=T0 + timedelta(minutes=n))


def test_figures_of_known_trades() -> None:
    trades = [make(1, 25.0), make(2, 10.0, swap=-1.3), make(3, -12.0, symbol="GBPUSD"), make(4, 0.7)]
    fig = trade_figures(trades)
    assert (fig.trades, fig.wins, fig.losses) == (3 + 1, 2, 1)  # the 0.7 - 0.7 trade is neither
    assert fig.profit == pytest.approx(23.7) and fig.commission == pytest.approx(-2.8)
    assert fig.swap == pytest.approx(-1.3) and fig.net == pytest.approx(19.6)
    assert fig.win_rate == pytest.approx(50.0)
    assert fig.profit_factor == pytest.approx((24.3 + 8.0) / 12.7)
    assert fig.best is trades[0] and fig.worst is trades[2]
    assert [(s.symbol, s.trades, round(s.net, 2)) for s in fig.symbols] == [("EURUSD", 3, 32.3), ("GBPUSD", 1, -12.7)]


def test_no_trades_and_no_losses() -> None:
    empty = trade_figures([])
    assert empty.trades == 0 and empty.win_rate is None and empty.profit_factor is None and empty.best is None
    assert trade_figures([make(1, 5.0)]).profit_factor is None  # nothing lost: undefined, shown as ∞


money = st.floats(min_value=-500, max_value=500, allow_nan=False).map(lambda x: round(x, 2))


@given(st.lists(st.tuples(money, money, money, st.sampled_from(["EURUSD", "USDJPY", "XAUUSD"])), max_size=40))
def test_totals_add_up(rows: list[tuple[float, float, float, str]]) -> None:
    trades = [make(i, p, commission=c, swap=s, symbol=sym) for i, (p, c, s, sym) in enumerate(rows)]
    fig = trade_figures(trades)
    assert fig.net == pytest.approx(sum(trade_net(t) for t in trades), abs=1e-6)
    assert fig.net == pytest.approx(fig.profit + fig.commission + fig.swap, abs=1e-6)
    assert sum(s.net for s in fig.symbols) == pytest.approx(fig.net, abs=1e-6)
    assert sum(s.trades for s in fig.symbols) == fig.trades == len(trades)
    assert fig.wins + fig.losses <= fig.trades
    assert fig.gross_win + fig.gross_loss == pytest.approx(fig.net, abs=1e-6)
    curve = balance_curve(trades, start=T0, start_balance=1000.0)
    assert curve[-1].value == pytest.approx(1000.0 + fig.net, abs=1e-6)


def test_thin_curve_keeps_the_ends() -> None:
    points = [CurvePoint(T0 + timedelta(minutes=i), float(i)) for i in range(10_001)]
    thinned = thin_curve(points, 2000)
    assert len(thinned) == 2000 and thinned[0] == points[0] and thinned[-1] == points[-1]


def test_pnl_query_periods_in_a_zone_across_dst() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    symbols = SymbolResolver(INSTRUMENTS)
    now = datetime(2026, 3, 30, 10, tzinfo=UTC)  # Monday after the spring change
    query = parse_pnl_query("yesterday xauusd", now=now, zone=berlin, symbols=symbols)
    assert query.symbol == "XAUUSD"
    assert (query.period.start, query.period.end) == (datetime(2026, 3, 28, 23, tzinfo=UTC),
                                                      datetime(2026, 3, 29, 22, tzinfo=UTC))  # 23 hours
    today = parse_pnl_query("", now=now, zone=berlin, symbols=symbols).period
    assert today.end - today.start == timedelta(hours=24) and today.label == "today"
    with pytest.raises(UsageError, match="did you mean EURUSD"):
        parse_pnl_query("EURUSDD", now=now, zone=berlin, symbols=symbols)
