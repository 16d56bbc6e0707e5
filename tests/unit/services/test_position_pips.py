"""An open position in pips: P&L from the open price, SL and TP distance from the current price."""

from __future__ import annotations

from fxbot.commands.trading_tables import positions_table
from fxbot.domain.broker import Position, Side
from fxbot.services.position_pips import PositionPips, position_pips


def pos(side: Side, open_price: float, now: float | None, *, symbol: str = "EURUSD", sl: float | None = None,
        tp: float | None = None) -> Position:
    return Position(id="pos_1", symbol=symbol, type=side, volume=0.1, open_price=open_price, current_price=now,
                    sl=sl, tp=tp, profit=0.0, commission=-0.35, swap=0.0)


def test_a_buy_gains_when_the_price_rises_and_its_stops_are_measured_from_now() -> None:
    # open 1.10000, now (bid) 1.10125: +12.5 pips; SL 1.09900 is 22.5 pips below, TP 1.10300 17.5 above
    assert position_pips(pos(Side.BUY, 1.10000, 1.10125, sl=1.09900, tp=1.10300)) == PositionPips(12.5, 22.5, 17.5)


def test_a_sell_gains_when_the_price_falls() -> None:
    # open 1.10000, now (ask) 1.10040: -4.0 pips; SL 1.10100 is 6.0 above, TP 1.09800 24.0 below
    assert position_pips(pos(Side.SELL, 1.10000, 1.10040, sl=1.10100, tp=1.09800)) == PositionPips(-4.0, 6.0, 24.0)


def test_yen_and_gold_use_their_pip_size_and_unknowns_stay_unknown() -> None:
    # USDJPY pip 0.01: 151.200 -> 151.455 = +25.5; XAUUSD pip 0.1: SELL 2315.40 -> 2310.00 = +54.0
    assert position_pips(pos(Side.BUY, 151.200, 151.455, symbol="USDJPY")).pnl == 25.5
    assert position_pips(pos(Side.SELL, 2315.40, 2310.00, symbol="XAUUSD")).pnl == 54.0
    assert position_pips(pos(Side.BUY, 1.1, None, sl=1.0)) == PositionPips(None, None, None)
    assert position_pips(pos(Side.BUY, 1.1, 1.1)) == PositionPips(0.0, None, None)
    assert str(position_pips(pos(Side.SELL, 1.1, 1.1)).pnl) == "0.0"  # never "-0.0"


def test_the_positions_table_shows_pips_net_pnl_and_stop_distances() -> None:
    table = positions_table([pos(Side.BUY, 1.10000, 1.10125, sl=1.09900, tp=None)], "USD")
    assert table.headers == ("ID", "Symbol", "Side", "Lots", "Open", "Now", "Pips", "Net P&L USD",
                             "SL (pips away)", "TP (pips away)")
    assert table.rows[0][6:] == ("+12.5", "-0.35", "1.09900 (22.5)", "—")
