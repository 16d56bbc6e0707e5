"""Partial closes, stop-out, commission and swap as they reach the history and the balance."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from fxbot.simulator.engine import SimEngine
from fxbot.simulator.errors import SimError
from fxbot.simulator.swap import next_rollover, rollover_nights
from tests.unit.simulator.sim_support import EUR, T0, USD, at, make_engine, market, snapshot, types_of


def all_trades(engine: SimEngine, account: str) -> list[dict[str, Any]]:
    page = engine.history(account, start=None, end=None, symbol=None, type=None, limit=1000, offset=0)
    trades: list[dict[str, Any]] = page["trades"]
    return trades


def test_partial_close_keeps_the_rest_open() -> None:
    engine = make_engine()
    opened = market(engine, USD, "EURUSD", "BUY", 1.0)
    engine.set_quote("EURUSD", 1.10102, 1.10104, at(60))
    answer, events = engine.close_order(USD, opened["id"], 0.3, at(60))
    assert answer["status"] == "partially_closed"
    assert answer["remaining"] == 0.7
    assert answer["profit"] == 30.00  # 0.001 * 30 000
    assert answer["commission"] == -2.10  # 0.3 lot: 1.05 entry share + 1.05 exit
    (closed,) = [e for e in events if e.type == "order_closed"]
    assert closed.data["volume"] == 0.3 and closed.data["remaining"] == 0.7
    (pos,) = engine.positions(USD)
    assert pos["volume"] == 0.7 and pos["commission"] == -2.45 and pos["id"] == opened["position_id"]
    assert engine.account(USD)["balance"] == 10000 + 30 - 2.10
    # more than what is left is refused and changes nothing
    before = snapshot(engine)
    with pytest.raises(SimError) as refused:
        engine.close_order(USD, opened["id"], 0.8, at(61))
    assert refused.value.code == "invalid_volume"
    assert snapshot(engine) == before
    answer, _ = engine.close_order(USD, opened["position_id"], 0.7, at(62))
    assert answer["status"] == "closed" and "remaining" not in answer
    assert engine.positions(USD) == []
    trades = all_trades(engine, USD)
    assert [t["volume"] for t in trades] == [0.7, 0.3]
    assert sum(t["commission"] for t in trades) == pytest.approx(-7.0)


def test_stop_out_closes_the_worst_position_until_above_50_percent() -> None:
    engine = make_engine()
    market(engine, USD, "EURUSD", "BUY", 4.5)
    market(engine, USD, "EURUSD", "BUY", 4.5)
    survivor = market(engine, USD, "USDJPY", "BUY", 0.01)
    assert engine.account(USD)["margin_level"] > 100
    _, events = engine.set_quote("EURUSD", 1.09000, 1.09002, at(5))
    stopped = [e for e in events if e.type == "order_closed"]
    assert len(stopped) == 2 and all(e.data["reason"] == "stop_out" for e in stopped)
    (left,) = engine.positions(USD)
    assert left["id"] == survivor["position_id"]
    assert engine.account(USD)["margin_level"] > 50
    assert {t["reason"] for t in all_trades(engine, USD)} == {"stop_out"}
    assert types_of(events)[-1] == "account_update"


def test_stop_out_picks_the_most_losing_and_stops_when_safe() -> None:
    engine = make_engine()
    loser = market(engine, USD, "EURUSD", "BUY", 9.0)
    market(engine, USD, "USDJPY", "SELL", 0.01)
    _, events = engine.set_quote("EURUSD", 1.09400, 1.09402, at(5))  # level about 46 %
    (stopped,) = [e for e in events if e.type == "order_closed"]
    assert stopped.data["id"] == loser["id"] and stopped.data["reason"] == "stop_out"
    assert len(engine.positions(USD)) == 1


def test_no_stop_out_above_the_level() -> None:
    engine = make_engine()
    market(engine, USD, "EURUSD", "BUY", 9.0)
    _, events = engine.set_quote("EURUSD", 1.09500, 1.09502, at(5))  # level about 52 %
    assert "order_closed" not in types_of(events)
    assert 50 < engine.account(USD)["margin_level"] < 60


def test_rollover_schedule_in_new_york_time() -> None:
    # EDT: 17:00 New York = 21:00 UTC; Tuesday 2026-03-31
    assert next_rollover(T0) == datetime(2026, 3, 31, 21, 0, tzinfo=UTC)
    # EST in January: 22:00 UTC
    assert next_rollover(datetime(2026, 1, 6, 12, tzinfo=UTC)) == datetime(2026, 1, 6, 22, tzinfo=UTC)
    # after Friday's rollover the next one is Monday's
    friday_late = datetime(2026, 4, 3, 21, 30, tzinfo=UTC)
    assert next_rollover(friday_late) == datetime(2026, 4, 6, 21, 0, tzinfo=UTC)
    assert rollover_nights(datetime(2026, 4, 1, 21, 0, tzinfo=UTC)) == 3  # Wednesday
    assert rollover_nights(datetime(2026, 4, 2, 21, 0, tzinfo=UTC)) == 1


def test_swap_charged_over_rollovers_triple_on_wednesday_and_in_history() -> None:
    engine = make_engine()
    opened = market(engine, USD, "EURUSD", "BUY", 1.0)  # long EURUSD: -7.2 points per lot per night
    _, events = engine.set_quote("EURUSD", 1.10000, 1.10002, datetime(2026, 3, 31, 20, 59, tzinfo=UTC))
    assert engine.positions(USD)[0]["swap"] == 0.0
    _, events = engine.set_quote("EURUSD", 1.10000, 1.10002, datetime(2026, 3, 31, 21, 0, 1, tzinfo=UTC))
    assert engine.positions(USD)[0]["swap"] == -7.20
    assert "account_update" in types_of(events)
    late = market(engine, USD, "EURUSD", "SELL", 1.0, when=datetime(2026, 3, 31, 21, 30, tzinfo=UTC))
    engine.tick(datetime(2026, 4, 1, 21, 0, 1, tzinfo=UTC))  # Wednesday: three nights
    by_id = {p["id"]: p for p in engine.positions(USD)}
    assert by_id[opened["position_id"]]["swap"] == round(-7.2 * 4, 2)
    assert by_id[late["position_id"]]["swap"] == round(2.1 * 3, 2)  # short EURUSD earns 2.1 points
    answer, _ = engine.close_order(USD, opened["id"], None, datetime(2026, 4, 1, 22, tzinfo=UTC))
    assert answer["swap"] == -28.80
    trade = all_trades(engine, USD)[0]
    assert trade["swap"] == -28.80 and trade["commission"] == -7.00 and trade["reason"] == "manual"
    balance = engine.account(USD)["balance"]
    assert balance == round(10000 + trade["profit"] - 7.0 - 28.8, 2)


def test_swap_in_eur_account_is_converted() -> None:
    engine = make_engine()
    market(engine, EUR, "USDJPY", "SELL", 1.0)  # short USDJPY: -28.6 points/lot/night, in JPY
    engine.set_quote("USDJPY", 150.000, 150.010, datetime(2026, 3, 31, 21, 0, 1, tzinfo=UTC))
    (pos,) = engine.positions(EUR)
    # 28.6 points * 0.001 * 100 000 = 2860 JPY at EURJPY mid 165.005
    assert pos["swap"] == round(-2860 / 165.005, 2)


def test_closed_trade_record_is_complete() -> None:
    engine = make_engine()
    opened = market(engine, EUR, "EURUSD", "SELL", 0.5, when=at(10))
    engine.set_quote("EURUSD", 1.09900, 1.09902, at(20))
    engine.close_order(EUR, opened["id"], None, at(30))
    (trade,) = all_trades(engine, EUR)
    assert trade["id"].startswith("trd_")
    assert trade["order_id"] == opened["id"] and trade["position_id"] == opened["position_id"]
    assert (trade["open_price"], trade["close_price"]) == (1.1, 1.09902)
    assert (
        trade["opened_at"] == "2026-03-31T12:00:10.000Z" and trade["closed_at"] == "2026-03-31T12:00:30.000Z"
    )
    assert trade["type"] == "SELL" and trade["volume"] == 0.5 and trade["symbol"] == "EURUSD"
    assert trade["commission"] == -3.00  # 3.0 per lot per side
    assert trade["profit"] == round((1.10000 - 1.09902) * 50000 / 1.09901, 2)
    assert trade["swap"] == 0.0 and trade["reason"] == "manual"


def test_close_after_an_unticked_rollover_still_books_the_swap() -> None:
    engine = make_engine()
    opened = market(engine, USD, "EURUSD", "BUY", 1.0)
    answer, _ = engine.close_order(USD, opened["id"], None, datetime(2026, 3, 31, 22, 0, tzinfo=UTC))
    assert answer["swap"] == -7.20


def test_pending_fill_without_margin_is_cancelled() -> None:
    engine = make_engine()
    order, _ = engine.place_order(
        EUR,
        symbol="XAUUSD",
        type="BUY_LIMIT",
        volume=5.0,
        price=1990.00,
        sl=None,
        tp=None,
        comment=None,
        now=T0,
    )
    _, events = engine.set_quote("XAUUSD", 1989.00, 1989.25, at(1))
    (cancelled,) = [e for e in events if e.type == "order_cancelled"]
    assert cancelled.data["id"] == order["id"] and cancelled.data["reason"] == "insufficient_margin"
    assert engine.positions(EUR) == [] and engine.pending_orders(EUR) == []
