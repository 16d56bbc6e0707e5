"""Pre-trade checks of stop-limit orders: the stop price beyond the market (above the ask to buy, below the bid
to sell) and the limit on the filling side of the stop (at or below it to buy, at or above it to sell)."""

from __future__ import annotations

import pytest

from fxbot.domain.broker import OrderType
from fxbot.domain.instruments import INSTRUMENTS
from fxbot.services.pretrade import pending_price_problem, stop_limit_problem

EURUSD = INSTRUMENTS["EURUSD"]
BID, ASK = 1.08340, 1.08342


@pytest.mark.parametrize(("order_type", "price", "fragment"), [
    (OrderType.BUY_STOP_LIMIT, 1.08342, "a BUY STOP LIMIT's stop price must be above the current ask 1.08342"),
    (OrderType.BUY_STOP_LIMIT, 1.08000, "(to buy below the market use /buylimit)"),
    (OrderType.SELL_STOP_LIMIT, 1.08340, "a SELL STOP LIMIT's stop price must be below the current bid 1.08340"),
    (OrderType.SELL_STOP_LIMIT, 1.09000, "(to sell above the market use /selllimit)"),
])
def test_a_stop_price_on_the_wrong_side_of_the_market_is_explained(order_type: OrderType, price: float,
                                                                    fragment: str) -> None:
    problem = pending_price_problem(order_type, price, BID, ASK, EURUSD)
    assert problem is not None and fragment in problem


@pytest.mark.parametrize(("order_type", "price"), [(OrderType.BUY_STOP_LIMIT, 1.08343),
                                                   (OrderType.SELL_STOP_LIMIT, 1.08339)])
def test_a_stop_price_beyond_the_market_passes(order_type: OrderType, price: float) -> None:
    assert pending_price_problem(order_type, price, BID, ASK, EURUSD) is None


@pytest.mark.parametrize(("order_type", "stop", "limit", "fragment"), [
    (OrderType.BUY_STOP_LIMIT, 1.0900, 1.0901, "a BUY STOP LIMIT's limit 1.09010 must be at or below its stop "
                                               "price 1.09000"),
    (OrderType.SELL_STOP_LIMIT, 1.0800, 1.0799, "a SELL STOP LIMIT's limit 1.07990 must be at or above its stop "
                                                "price 1.08000"),
])
def test_a_limit_on_the_wrong_side_of_the_stop_is_explained(order_type: OrderType, stop: float, limit: float,
                                                            fragment: str) -> None:
    problem = stop_limit_problem(order_type, stop, limit, EURUSD)
    assert problem is not None and fragment in problem


@pytest.mark.parametrize(("order_type", "stop", "limit"), [
    (OrderType.BUY_STOP_LIMIT, 1.0900, 1.0895), (OrderType.BUY_STOP_LIMIT, 1.0900, 1.0900),
    (OrderType.SELL_STOP_LIMIT, 1.0800, 1.0805), (OrderType.SELL_STOP_LIMIT, 1.0800, 1.0800),
    (OrderType.BUY_STOP, 1.0900, 1.0999),  # not a stop-limit type: nothing to check
])
def test_a_limit_on_the_filling_side_passes(order_type: OrderType, stop: float, limit: float) -> None:
    assert stop_limit_problem(order_type, stop, limit, EURUSD) is None
