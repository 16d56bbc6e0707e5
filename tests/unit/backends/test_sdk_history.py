"""Closed trades assembled from hand-written `/OrderHistory` deal rows (and MT4 `/PositionHistory` round trips):
pairing with opening deals, commission shares, reasons, broker time and paging."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fxsocket.models import HistoryTrade, PositionTrade

from fxbot.backends.sdk_history import (
    close_reason,
    page,
    trade_of_round_trip,
    trades_from_deals,
    unpaired_positions,
)
from fxbot.backends.sdk_symbols import SymbolMap
from fxbot.backends.sdk_time import BrokerClock
from fxbot.domain.broker import Side

CLOCK = BrokerClock(2 * 3600, datetime(2026, 1, 15, tzinfo=UTC))  # UTC+2 (a New York-close broker in winter)
SYMBOLS = SymbolMap.build(["EURUSD.sd", "GOLD"])


def deal(ticket: int, entry: str, position: int, *, type_: str = "Buy", volume: float = 0.1, price: float = 1.1,
         profit: float = 0.0, commission: float = -0.7, swap: float = 0.0, comment: str = "",
         time: str = "2026-01-15T14:00:00.000Z", symbol: str = "EURUSD.sd") -> HistoryTrade:
    payload: dict[str, Any] = {
        "ticket": ticket, "order": 50_000_000 + ticket, "position": position, "symbol": symbol, "type": type_,
        "entry": entry, "volume": volume, "price": price, "commission": commission, "swap": swap, "profit": profit,
        "magic": 0, "comment": comment, "time": time,
    }
    return HistoryTrade.model_validate(payload)


OPEN = deal(1, "In", 7, price=1.1, commission=-0.7, time="2026-01-15T10:00:00.000Z")
PARTIAL = deal(2, "Out", 7, type_="Sell", volume=0.04, price=1.101, profit=4.0, commission=-0.28,
               time="2026-01-15T11:00:00.000Z")
FINAL = deal(3, "Out", 7, type_="Sell", volume=0.06, price=1.09, profit=-6.0, commission=-0.42, swap=-0.3,
             comment="[sl 1.09000]", time="2026-01-15T12:00:00.000Z")
GOLD_OPEN = deal(4, "In", 9, type_="Sell", volume=0.01, price=2300.0, commission=0.0, symbol="GOLD",
                 time="2026-01-15T10:30:00Z")
GOLD_CLOSE = deal(5, "Out", 9, type_="Buy", volume=0.01, price=2290.0, profit=10.0, commission=0.0, symbol="GOLD",
                  comment="[tp 2290.00]", time="2026-01-15T13:00:00Z")


def test_each_closing_deal_is_one_trade_paired_with_its_opening() -> None:
    trades = trades_from_deals([OPEN, PARTIAL, FINAL], SYMBOLS, CLOCK)
    assert [t.id for t in trades] == ["3", "2"]  # newest first
    final, partial = trades
    assert final.model_dump() == {
        "id": "3", "symbol": "EURUSD", "type": Side.BUY, "volume": 0.06, "profit": -6.0,
        "closed_at": datetime(2026, 1, 15, 10, 0, tzinfo=UTC), "commission": -0.84, "swap": -0.3,
        "open_price": 1.1, "close_price": 1.09, "opened_at": datetime(2026, 1, 15, 8, 0, tzinfo=UTC),
        "order_id": "7", "position_id": "7", "reason": "sl",
    }
    assert partial.commission == pytest.approx(-0.56) and partial.reason == "manual"  # -0.28 + 40% of -0.7


def test_a_closing_sell_deal_closed_a_buy_and_metals_map_to_canonical() -> None:
    [gold] = trades_from_deals([GOLD_OPEN, GOLD_CLOSE], SYMBOLS, CLOCK)
    assert (gold.symbol, gold.type, gold.reason, gold.open_price) == ("XAUUSD", Side.SELL, "tp", 2300.0)


def test_openings_before_the_window_pair_from_earlier_deals() -> None:
    assert unpaired_positions([PARTIAL, FINAL]) == {7}
    [alone, _] = trades_from_deals([PARTIAL, FINAL], SYMBOLS, CLOCK)
    assert alone.open_price is None and alone.opened_at is None and alone.commission == -0.42
    [paired, _] = trades_from_deals([PARTIAL, FINAL], SYMBOLS, CLOCK, earlier=[OPEN])
    assert paired.open_price == 1.1 and paired.commission == -0.84
    assert unpaired_positions([OPEN, PARTIAL]) == set()


def test_an_old_bridge_without_position_ids_still_gives_trades() -> None:
    [trade] = trades_from_deals([deal(8, "Out", 0, type_="Sell", profit=1.0)], SYMBOLS, CLOCK)
    assert trade.position_id is None and trade.open_price is None and trade.profit == 1.0


@pytest.mark.parametrize("comment, reason", [
    ("[sl 1.08000]", "sl"), ("[sl]", "sl"), ("[tp 1.12]", "tp"), ("[tp]", "tp"),
    ("so: 45.20%/452.00/1000.00", "stop_out"), ("[so 45%]", "stop_out"), ("stop out", "stop_out"),
    ("", "manual"), ("my comment", "manual"),
])
def test_close_reasons(comment: str, reason: str) -> None:
    assert close_reason(comment) == reason


def test_an_mt4_round_trip_is_one_trade_of_the_positions_side() -> None:
    row = PositionTrade.model_validate({
        "positionId": 12, "symbol": "EURUSD.sd", "type": "Sell", "volume": 0.2, "openTime": "2026.01.15 10:00:00",
        "openPrice": 1.1, "closeTime": "2026.01.15 12:00:00", "closePrice": 1.098, "profit": 40.0, "swap": -1.0,
        "commission": -1.4, "netProfit": 37.6, "magic": 0, "comment": "[tp]",
    })
    trade = trade_of_round_trip(row, SYMBOLS, CLOCK)
    assert (trade.id, trade.type, trade.symbol, trade.reason) == ("12", Side.SELL, "EURUSD", "tp")
    assert trade.closed_at == datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
    assert trade.opened_at == datetime(2026, 1, 15, 8, 0, tzinfo=UTC)


def test_pages_filter_by_symbol_and_side_and_count_every_match() -> None:
    trades = trades_from_deals([OPEN, PARTIAL, FINAL, GOLD_OPEN, GOLD_CLOSE], SYMBOLS, CLOCK)
    assert [t.id for t in trades] == ["5", "3", "2"]
    assert page(trades, symbol=None, side_filter=None, limit=None, offset=None).total == 3
    eur = page(trades, symbol="eurusd", side_filter=None, limit=1, offset=1)
    assert eur.total == 2 and [t.id for t in eur.trades] == ["2"]
    sells = page(trades, symbol=None, side_filter=Side.SELL, limit=10, offset=0)
    assert [t.id for t in sells.trades] == ["5"] and sells.total == 1
    assert page(trades, symbol="XAUUSD", side_filter=Side.BUY, limit=None, offset=None).total == 0
