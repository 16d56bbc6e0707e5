"""Pending orders and SL/TP fire on the correct side of the quote and fill at the current price."""

from __future__ import annotations

from tests.unit.simulator.sim_support import T0, USD, at, make_engine, market, pending, types_of


def test_buy_limit_fills_when_ask_reaches_price_at_the_ask() -> None:
    engine = make_engine()  # EURUSD 1.10000 / 1.10002
    order = pending(engine, USD, "EURUSD", "BUY_LIMIT", 0.5, 1.09900, sl=1.09800, tp=1.10100)
    assert order["status"] == "pending" and order["id"].startswith("ord_")
    _, events = engine.set_quote("EURUSD", 1.09899, 1.09901, T0)  # ask still above the price
    assert "order_filled" not in types_of(events)
    _, events = engine.set_quote("EURUSD", 1.09880, 1.09882, at(1))  # ask 1.09882 <= 1.09900
    (filled,) = [e for e in events if e.type == "order_filled"]
    assert filled.data["id"] == order["id"]
    assert filled.data["price"] == 1.09882  # the current ask: the limit price or better
    assert filled.data["account_id"] == USD and filled.account_id == USD and filled.symbol == "EURUSD"
    (pos,) = engine.positions(USD)
    assert pos["id"] == filled.data["position_id"] and pos["order_id"] == order["id"]
    assert (pos["sl"], pos["tp"], pos["type"]) == (1.098, 1.101, "BUY")
    assert engine.pending_orders(USD) == []
    assert "account_update" in types_of(events)


def test_buy_stop_fires_on_ask_not_bid() -> None:
    engine = make_engine()
    pending(engine, USD, "EURUSD", "BUY_STOP", 0.1, 1.10100)
    _, events = engine.set_quote("EURUSD", 1.10100, 1.10110, at(1))
    assert "order_filled" in types_of(events)
    engine2 = make_engine()
    pending(engine2, USD, "EURUSD", "BUY_STOP", 0.1, 1.10100)
    _, events = engine2.set_quote("EURUSD", 1.10095, 1.10099, at(1))  # ask below the stop price
    assert "order_filled" not in types_of(events)


def test_sell_limit_and_sell_stop_fire_on_the_bid() -> None:
    engine = make_engine()
    limit = pending(engine, USD, "EURUSD", "SELL_LIMIT", 0.1, 1.10100)
    stop = pending(engine, USD, "EURUSD", "SELL_STOP", 0.1, 1.09900)
    _, events = engine.set_quote("EURUSD", 1.10099, 1.10101, at(1))  # ask over, bid under: nothing
    assert "order_filled" not in types_of(events)
    _, events = engine.set_quote("EURUSD", 1.10100, 1.10102, at(2))
    (filled,) = [e for e in events if e.type == "order_filled"]
    assert filled.data["id"] == limit["id"] and filled.data["price"] == 1.10100
    _, events = engine.set_quote("EURUSD", 1.09901, 1.09903, at(3))  # bid just above the stop
    assert "order_filled" not in types_of(events)
    _, events = engine.set_quote("EURUSD", 1.09890, 1.09892, at(4))
    (filled,) = [e for e in events if e.type == "order_filled"]
    assert filled.data["id"] == stop["id"] and filled.data["price"] == 1.09890


def test_buy_position_stop_loss_closes_at_bid() -> None:
    engine = make_engine()
    opened = market(engine, USD, "EURUSD", "BUY", 1.0, sl=1.09900, tp=1.10200)
    _, events = engine.set_quote("EURUSD", 1.09901, 1.09909, at(1))  # bid one point above sl
    assert "order_closed" not in types_of(events)
    _, events = engine.set_quote("EURUSD", 1.09895, 1.09897, at(2))
    (closed,) = [e for e in events if e.type == "order_closed"]
    assert closed.data["reason"] == "sl"
    assert closed.data["close_price"] == 1.09895
    assert closed.data["id"] == opened["id"] and closed.data["position_id"] == opened["position_id"]
    assert closed.data["profit"] == round((1.09895 - 1.10002) * 100000, 2)
    assert engine.positions(USD) == []
    trade = engine.history(USD, start=None, end=None, symbol=None, type=None, limit=10, offset=0)["trades"][0]
    assert trade["reason"] == "sl"


def test_buy_take_profit_needs_the_bid() -> None:
    engine = make_engine()
    market(engine, USD, "EURUSD", "BUY", 1.0, tp=1.10200)
    _, events = engine.set_quote("EURUSD", 1.10195, 1.10205, at(1))  # ask above tp, bid not yet
    assert "order_closed" not in types_of(events)
    _, events = engine.set_quote("EURUSD", 1.10200, 1.10202, at(2))
    (closed,) = [e for e in events if e.type == "order_closed"]
    assert closed.data["reason"] == "tp" and closed.data["close_price"] == 1.102


def test_sell_position_stops_use_the_ask() -> None:
    engine = make_engine()
    market(engine, USD, "USDJPY", "SELL", 1.0, sl=150.500, tp=149.500)  # at 150.000
    _, events = engine.set_quote("USDJPY", 150.495, 150.499, at(1))
    assert "order_closed" not in types_of(events)
    _, events = engine.set_quote("USDJPY", 150.490, 150.505, at(2))  # ask over sl, bid under
    (closed,) = [e for e in events if e.type == "order_closed"]
    assert closed.data["reason"] == "sl" and closed.data["close_price"] == 150.505
    market(engine, USD, "USDJPY", "SELL", 1.0, tp=149.500)
    _, events = engine.set_quote("USDJPY", 149.495, 149.501, at(3))  # bid under tp, ask not
    assert "order_closed" not in types_of(events)
    _, events = engine.set_quote("USDJPY", 149.480, 149.490, at(4))
    (closed,) = [e for e in events if e.type == "order_closed"]
    assert closed.data["reason"] == "tp" and closed.data["close_price"] == 149.49


def test_modified_stop_replaces_the_old_level() -> None:
    engine = make_engine()
    opened = market(engine, USD, "EURUSD", "BUY", 1.0, sl=1.09900)
    answer, events = engine.modify_order(USD, opened["position_id"], {"sl": 1.09800}, at(1))
    assert answer == {"id": opened["position_id"], "sl": 1.098, "tp": None, "updated": True}
    assert types_of(events) == ["order_modified"]
    assert events[0].data["id"] == opened["id"] and events[0].data["position_id"] == opened["position_id"]
    _, events = engine.set_quote("EURUSD", 1.09850, 1.09852, at(2))  # old sl crossed, new one not
    assert "order_closed" not in types_of(events)
    engine.modify_order(USD, opened["id"], {"sl": None}, at(3))
    _, events = engine.set_quote("EURUSD", 1.09000, 1.09002, at(4))
    assert "order_closed" not in types_of(events)
    assert engine.positions(USD)[0]["sl"] is None


def test_modified_pending_price_moves_the_trigger() -> None:
    engine = make_engine()
    order = pending(engine, USD, "EURUSD", "BUY_LIMIT", 0.1, 1.09900, sl=1.09800)
    answer, _ = engine.modify_order(USD, order["id"], {"price": 1.09700, "sl": 1.09600}, at(1))
    assert answer == {"id": order["id"], "sl": 1.096, "tp": None, "updated": True, "price": 1.097}
    _, events = engine.set_quote("EURUSD", 1.09850, 1.09852, at(2))
    assert "order_filled" not in types_of(events)
    _, events = engine.set_quote("EURUSD", 1.09690, 1.09692, at(3))
    assert "order_filled" in types_of(events)


def test_pending_fill_then_stop_in_the_same_quote_gap() -> None:
    engine = make_engine()
    order = pending(engine, USD, "EURUSD", "BUY_LIMIT", 0.1, 1.09900, sl=1.09850)
    _, events = engine.set_quote("EURUSD", 1.09800, 1.09802, at(1))  # gap through price and sl
    assert types_of(events)[:3] == ["quote", "order_filled", "order_closed"]
    assert events[2].data["id"] == order["id"] and events[2].data["reason"] == "sl"


def test_cancel_pending_order() -> None:
    engine = make_engine()
    order = pending(engine, USD, "EURUSD", "SELL_STOP", 0.1, 1.09000)
    answer, events = engine.close_order(USD, order["id"], None, at(1))
    assert answer == {"id": order["id"], "status": "cancelled"}
    assert types_of(events) == ["order_cancelled"]
    assert events[0].data["id"] == order["id"] and events[0].data["account_id"] == USD
    assert engine.pending_orders(USD) == []
    _, events = engine.set_quote("EURUSD", 1.08000, 1.08002, at(2))
    assert "order_filled" not in types_of(events)


def test_tick_fires_triggers_too() -> None:
    engine = make_engine()
    opened = market(engine, USD, "EURUSD", "BUY", 0.1, sl=1.09999, tp=1.10001 + 0.00002)
    closed = []
    for second in range(1, 200):
        closed += [e for e in engine.tick(at(second)) if e.type == "order_closed"]
        if closed:
            break
    assert closed and closed[0].data["id"] == opened["id"]
    assert closed[0].data["reason"] in ("sl", "tp")
