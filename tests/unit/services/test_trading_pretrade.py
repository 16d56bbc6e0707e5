"""Unit tests of the pre-trade maths: stops in pips, stop/pending sides, margin and margin level."""

from __future__ import annotations

import pytest

from fxbot.domain.broker import OrderType, Side
from fxbot.domain.instruments import INSTRUMENTS
from fxbot.services.pretrade import (
    PlainStop,
    StopBounds,
    conversion_symbols,
    distance_pips,
    margin_in_account_currency,
    margin_level_after,
    pending_price_problem,
    required_margin,
    resolve_stop,
    stop_side_problem,
)

EURUSD = INSTRUMENTS["EURUSD"]
USDJPY = INSTRUMENTS["USDJPY"]
XAUUSD = INSTRUMENTS["XAUUSD"]

MIDS = {"EURUSD": 1.10, "USDJPY": 150.0, "GBPUSD": 1.25, "EURGBP": 0.88}


def mid(symbol: str) -> float | None:
    return MIDS.get(symbol)


def test_buy_stops_in_pips_sit_below_and_above_the_entry() -> None:
    sl = resolve_stop(PlainStop(20, True), kind="sl", side=Side.BUY, entry=1.08342, spec=EURUSD)
    tp = resolve_stop(PlainStop(40, True), kind="tp", side=Side.BUY, entry=1.08342, spec=EURUSD)
    assert sl == 1.08142
    assert tp == 1.08742


def test_sell_stops_in_pips_are_mirrored() -> None:
    sl = resolve_stop(PlainStop(20, True), kind="sl", side=Side.SELL, entry=1.08340, spec=EURUSD)
    tp = resolve_stop(PlainStop(15.5, True), kind="tp", side=Side.SELL, entry=1.08340, spec=EURUSD)
    assert sl == 1.08540
    assert tp == 1.08185


def test_jpy_and_gold_pips_use_their_pip_size() -> None:
    assert resolve_stop(PlainStop(25, True), kind="sl", side=Side.BUY, entry=151.200, spec=USDJPY) == 150.950
    assert resolve_stop(PlainStop(50, True), kind="tp", side=Side.SELL, entry=2315.40, spec=XAUUSD) == 2310.40


def test_price_stops_are_kept_and_rounded_and_none_stays_none() -> None:
    assert resolve_stop(PlainStop(1.0812345), kind="sl", side=Side.BUY, entry=1.08342, spec=EURUSD) == 1.08123
    assert resolve_stop(None, kind="tp", side=Side.BUY, entry=1.08342, spec=EURUSD) is None


def test_distance_in_pips() -> None:
    assert distance_pips(1.08342, 1.08142, EURUSD) == 20.0
    assert distance_pips(151.2, 150.95, USDJPY) == 25.0
    assert distance_pips(1.0, None, EURUSD) is None


@pytest.mark.parametrize(
    ("side", "sl", "tp", "fragment"),
    [
        (Side.BUY, 1.0840, None, "stop loss 1.08400 must be below"),
        (Side.BUY, None, 1.0830, "take profit 1.08300 must be above"),
        (Side.SELL, 1.0830, None, "stop loss 1.08300 must be above"),
        (Side.SELL, None, 1.0840, "take profit 1.08400 must be below"),
        (Side.BUY, 1.08342, None, "must be below"),  # equal to the entry is wrong too
    ],
)
def test_wrong_side_stops_are_explained(side: Side, sl: float | None, tp: float | None,
                                        fragment: str) -> None:
    problem = stop_side_problem(side, sl, tp, EURUSD, StopBounds.at("EURUSD", 1.08342, "the price"))
    assert problem is not None
    assert fragment in problem


def test_right_side_stops_pass() -> None:
    market = StopBounds.market("EURUSD", 1.08340, 1.08342)
    assert stop_side_problem(Side.BUY, 1.0800, 1.0900, EURUSD, market) is None
    assert stop_side_problem(Side.SELL, 1.0900, 1.0800, EURUSD, market) is None
    assert stop_side_problem(Side.SELL, None, None, EURUSD, market) is None


def test_market_stops_use_bid_for_a_buy_stop_loss_and_ask_for_its_take_profit() -> None:
    market = StopBounds.market("EURUSD", 1.08340, 1.08350)
    problem = stop_side_problem(Side.BUY, 1.08345, None, EURUSD, market)
    assert problem is not None and "below the current bid 1.08340" in problem
    problem = stop_side_problem(Side.BUY, None, 1.08345, EURUSD, market)
    assert problem is not None and "above the current ask 1.08350" in problem
    problem = stop_side_problem(Side.SELL, 1.08345, None, EURUSD, market)
    assert problem is not None and "above the current ask 1.08350" in problem


def test_position_stops_are_checked_at_the_closing_price() -> None:
    bounds = StopBounds.position("EURUSD", Side.SELL, 1.08340, 1.08350)
    assert stop_side_problem(Side.SELL, 1.08351, None, EURUSD, bounds) is None
    assert stop_side_problem(Side.SELL, 1.08350, None, EURUSD, bounds) is not None


@pytest.mark.parametrize(
    ("order_type", "price", "ok"),
    [
        (OrderType.BUY_LIMIT, 1.0800, True),
        (OrderType.BUY_LIMIT, 1.0900, False),
        (OrderType.BUY_STOP, 1.0900, True),
        (OrderType.BUY_STOP, 1.0800, False),
        (OrderType.BUY_STOP, 1.08342, False),
        (OrderType.SELL_LIMIT, 1.0900, True),
        (OrderType.SELL_LIMIT, 1.0800, False),
        (OrderType.SELL_STOP, 1.0800, True),
        (OrderType.SELL_STOP, 1.0900, False),
    ],
)
def test_pending_price_sides(order_type: OrderType, price: float, ok: bool) -> None:
    problem = pending_price_problem(order_type, price, 1.08340, 1.08342, EURUSD)
    assert (problem is None) is ok
    if not ok:
        assert problem is not None and order_type.value.replace("_", " ") in problem


def test_margin_in_usd_account() -> None:
    # 1 lot EURUSD at 1.10 with 1:100 leverage = 100000 * 1.10 / 100 = 1100 USD
    assert required_margin(1.0, EURUSD, 1.10, 100) == pytest.approx(1100.0)
    assert margin_in_account_currency(1.0, EURUSD, 1.10, 100, "USD", mid) == pytest.approx(1100.0)


def test_margin_in_eur_account_is_converted() -> None:
    # 0.5 lot EURUSD at 1.10, 1:30 -> 50000 * 1.10 / 30 USD = 1833.33 USD = 1666.67 EUR
    assert margin_in_account_currency(0.5, EURUSD, 1.10, 30, "EUR", mid) == pytest.approx(50000 / 30)


def test_margin_of_a_yen_pair_in_usd_and_eur_accounts() -> None:
    # 1 lot USDJPY at 150, 1:100 -> 150000 JPY = 1000 USD = 909.09 EUR (via USD)
    assert margin_in_account_currency(1.0, USDJPY, 150.0, 100, "USD", mid) == pytest.approx(1000.0)
    assert margin_in_account_currency(1.0, USDJPY, 150.0, 100, "EUR", mid) == pytest.approx(1000.0 / 1.10)


def test_margin_without_a_linking_quote_is_none() -> None:
    assert margin_in_account_currency(1.0, EURUSD, 1.10, 100, "CHF", lambda _s: None) is None


def test_margin_level_after_the_trade() -> None:
    assert margin_level_after(10_000.0, 0.0, 1_000.0) == pytest.approx(1000.0)
    assert margin_level_after(10_000.0, 1_000.0, 1_000.0) == pytest.approx(500.0)
    assert margin_level_after(10_000.0, 0.0, 0.0) is None
    assert margin_level_after(10_000.0, 100.0, None) is None


def test_conversion_symbols_lists_the_quotes_needed() -> None:
    assert conversion_symbols("USD", "USD") == []
    assert conversion_symbols("USD", "EUR") == ["EURUSD"]
    assert conversion_symbols("JPY", "EUR") == ["EURJPY", "USDJPY", "EURUSD"]
