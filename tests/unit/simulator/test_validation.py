"""Every refused request raises its pinned error code and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from fxbot.simulator.engine import SimEngine
from fxbot.simulator.errors import SimError
from tests.unit.simulator.sim_support import EUR, T0, USD, make_engine, market, pending, snapshot


def refused(engine: SimEngine, call: Callable[[], Any], status: int, code: str) -> SimError:
    before = snapshot(engine)
    with pytest.raises(SimError) as caught:
        call()
    assert (caught.value.status, caught.value.code) == (status, code), caught.value.message
    assert caught.value.message
    assert snapshot(engine) == before
    return caught.value


def place(engine: SimEngine, **kwargs: Any) -> Callable[[], Any]:
    args: dict[str, Any] = {
        "symbol": "EURUSD",
        "type": "BUY",
        "volume": 0.1,
        "price": None,
        "sl": None,
        "tp": None,
        "comment": None,
        "now": T0,
        **kwargs,
    }
    return lambda: engine.place_order(USD, **args)


@pytest.fixture
def engine() -> SimEngine:
    engine = make_engine()
    market(engine, USD, "EURUSD", "BUY", 0.1, sl=1.09000, tp=1.11000)
    pending(engine, USD, "EURUSD", "BUY_LIMIT", 0.1, 1.09500)
    return engine


def test_invalid_symbol(engine: SimEngine) -> None:
    refused(engine, place(engine, symbol="FOOBAR"), 400, "invalid_symbol")


@pytest.mark.parametrize("volume", [0, -1, 0.015, 100.01, 0.001, float("nan"), float("inf")])
def test_invalid_volume(engine: SimEngine, volume: float) -> None:
    refused(engine, place(engine, volume=volume), 400, "invalid_volume")


@pytest.mark.parametrize(
    ("order_type", "price"),
    [
        ("BUY_LIMIT", 1.10002),  # not below the ask
        ("BUY_LIMIT", 1.10100),
        ("BUY_STOP", 1.10002),  # not above the ask
        ("BUY_STOP", 1.09900),
        ("SELL_LIMIT", 1.10000),  # not above the bid
        ("SELL_STOP", 1.10000),  # not below the bid
        ("SELL_STOP", 1.10100),
        ("BUY_LIMIT", None),
        ("SELL_LIMIT", 0.0),
        ("SELL_LIMIT", -1.2),
    ],
)
def test_invalid_pending_price(engine: SimEngine, order_type: str, price: float | None) -> None:
    refused(engine, place(engine, type=order_type, price=price), 400, "invalid_price")


@pytest.mark.parametrize(
    ("order_type", "price", "sl", "tp"),
    [
        ("BUY", None, 1.10001, None),  # BUY sl must be under the bid
        ("BUY", None, None, 1.10002),  # BUY tp must be over the ask (entry)
        ("SELL", None, 1.10001, None),  # SELL sl must be over the ask
        ("SELL", None, None, 1.10000),  # SELL tp must be under the bid (entry)
        ("BUY_LIMIT", 1.09500, 1.09500, None),
        ("BUY_LIMIT", 1.09500, None, 1.09400),
        ("SELL_STOP", 1.09500, 1.09400, None),
        ("SELL_STOP", 1.09500, None, 1.09600),
        ("BUY", None, -1.0, None),
    ],
)
def test_invalid_stops(
    engine: SimEngine, order_type: str, price: float | None, sl: float | None, tp: float | None
) -> None:
    refused(engine, place(engine, type=order_type, price=price, sl=sl, tp=tp), 400, "invalid_stops")


def test_insufficient_margin(engine: SimEngine) -> None:
    refused(engine, place(engine, volume=10.0), 400, "insufficient_margin")
    refused(
        engine,
        lambda: engine.place_order(
            EUR, symbol="XAUUSD", type="BUY", volume=10, price=None, sl=None, tp=None, comment=None, now=T0
        ),
        400,
        "insufficient_margin",
    )


def test_market_closed(engine: SimEngine) -> None:
    (position,) = engine.positions(USD)
    engine.set_market_closed(True)
    refused(engine, place(engine), 400, "market_closed")
    refused(engine, lambda: engine.close_order(USD, position["id"], None, T0), 400, "market_closed")
    quote = engine.quote("EURUSD")
    assert engine.tick(T0) == []  # a closed market does not move
    assert engine.quote("EURUSD") == quote
    engine.set_market_closed(False)
    answer, _ = engine.close_order(USD, position["id"], None, T0)
    assert answer["status"] == "closed"


def test_disconnected_account_refuses_trading_but_answers_reads(engine: SimEngine) -> None:
    (position,) = engine.positions(USD)
    (order,) = engine.pending_orders(USD)
    engine.set_account_status(USD, "disconnected")
    error = refused(engine, place(engine), 400, "bad_request")
    assert error.message == f"account {USD} is disconnected from its trading terminal; nothing was done"
    refused(engine, lambda: engine.close_order(USD, position["id"], None, T0), 400, "bad_request")
    refused(engine, lambda: engine.modify_order(USD, order["id"], {"sl": 1.09}, T0), 400, "bad_request")
    assert engine.account(USD)["id"] == USD and len(engine.positions(USD)) == 1
    assert engine.accounts_list()[0]["status"] == "disconnected"
    engine.set_account_status(USD, "connected")
    engine.close_order(USD, position["id"], None, T0)


def test_not_found(engine: SimEngine) -> None:
    (position,) = engine.positions(USD)
    refused(engine, lambda: engine.close_order(USD, "ord_nope", None, T0), 404, "not_found")
    refused(engine, lambda: engine.modify_order(USD, "pos_nope", {"sl": 1.0}, T0), 404, "not_found")
    refused(
        engine, lambda: engine.close_order(EUR, position["id"], None, T0), 404, "not_found"
    )  # other account
    refused(engine, lambda: engine.quote("FOOBAR"), 404, "not_found")
    refused(engine, lambda: engine.account("acc_nope"), 404, "not_found")
    refused(engine, lambda: engine.candles("FOOBAR", "H1", None, None, 10, T0), 404, "not_found")


def test_bad_requests(engine: SimEngine) -> None:
    (position,) = engine.positions(USD)
    (order,) = engine.pending_orders(USD)
    refused(engine, place(engine, type="BUY_MARKET"), 400, "bad_request")
    refused(engine, lambda: engine.modify_order(USD, position["id"], {"price": 1.1}, T0), 400, "bad_request")
    refused(engine, lambda: engine.modify_order(USD, position["id"], {"volume": 1.0}, T0), 400, "bad_request")
    refused(engine, lambda: engine.modify_order(USD, position["id"], {}, T0), 400, "bad_request")
    refused(engine, lambda: engine.close_order(USD, order["id"], 0.05, T0), 400, "bad_request")
    refused(engine, lambda: engine.set_account_status(USD, "asleep"), 400, "bad_request")
    refused(engine, lambda: engine.candles("EURUSD", "H1", None, None, 0, T0), 400, "bad_request")


def test_invalid_modifications(engine: SimEngine) -> None:
    (position,) = engine.positions(USD)
    (order,) = engine.pending_orders(USD)
    refused(
        engine, lambda: engine.modify_order(USD, position["id"], {"sl": 1.10005}, T0), 400, "invalid_stops"
    )
    refused(
        engine, lambda: engine.modify_order(USD, position["id"], {"tp": 1.09990}, T0), 400, "invalid_stops"
    )
    refused(
        engine, lambda: engine.modify_order(USD, order["id"], {"price": 1.10500}, T0), 400, "invalid_price"
    )
    refused(engine, lambda: engine.modify_order(USD, order["id"], {"sl": 1.09600}, T0), 400, "invalid_stops")


def test_invalid_partial_volume(engine: SimEngine) -> None:
    (position,) = engine.positions(USD)
    for volume in (0.2, 0.0, 0.005, -0.1):
        refused(engine, partial(engine.close_order, USD, position["id"], volume, T0), 400, "invalid_volume")


def test_invalid_quote_and_timeframe(engine: SimEngine) -> None:
    refused(engine, lambda: engine.set_quote("EURUSD", 0.0, None, T0), 400, "invalid_price")
    refused(engine, lambda: engine.set_quote("EURUSD", 1.1, 1.09, T0), 400, "invalid_price")
    refused(engine, lambda: engine.set_quote("EURUSD", -1.0, 1.0, T0), 400, "invalid_price")
    refused(engine, lambda: engine.set_quote("EURUSD", 1.1, float("nan"), T0), 400, "invalid_price")
    refused(engine, lambda: engine.candles("EURUSD", "H2", None, None, 10, T0), 400, "invalid_timeframe")
