"""History filters, newest-first order, pagination and the total count."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fxbot.simulator.engine import SimEngine
from fxbot.simulator.errors import SimError
from tests.unit.simulator.sim_support import T0, USD, at, make_engine, market


def build() -> SimEngine:
    """Six closed trades: (symbol, side) closed at minute 1..6."""
    engine = make_engine()
    plan = [
        ("EURUSD", "BUY"),
        ("USDJPY", "SELL"),
        ("EURUSD", "SELL"),
        ("XAUUSD", "BUY"),
        ("EURUSD", "BUY"),
        ("USDJPY", "BUY"),
    ]
    for minute, (symbol, side) in enumerate(plan, start=1):
        opened = market(engine, USD, symbol, side, 0.1, when=at(minute * 60 - 30))
        engine.close_order(USD, opened["id"], None, at(minute * 60))
    return engine


def query(engine: SimEngine, **kwargs):  # type: ignore[no-untyped-def]
    args = {"start": None, "end": None, "symbol": None, "type": None, "limit": 100, "offset": 0, **kwargs}
    return engine.history(USD, **args)


def test_newest_first_with_total() -> None:
    result = query(build())
    assert result["total"] == 6
    times = [t["closed_at"] for t in result["trades"]]
    assert times == sorted(times, reverse=True)
    assert result["trades"][0]["symbol"] == "USDJPY" and result["trades"][-1]["symbol"] == "EURUSD"


def test_filters_by_symbol_and_type() -> None:
    engine = build()
    eurusd = query(engine, symbol="eurusd")
    assert eurusd["total"] == 3 and {t["symbol"] for t in eurusd["trades"]} == {"EURUSD"}
    buys = query(engine, type="BUY")
    assert buys["total"] == 4 and {t["type"] for t in buys["trades"]} == {"BUY"}
    both = query(engine, symbol="EURUSD", type="SELL")
    assert both["total"] == 1 and both["trades"][0]["closed_at"] == "2026-03-31T12:03:00.000Z"
    assert query(engine, symbol="GBPUSD") == {"trades": [], "total": 0}


def test_time_range_is_inclusive_on_closed_at() -> None:
    engine = build()
    result = query(engine, start=at(120), end=at(240))
    assert result["total"] == 3
    assert [t["closed_at"][11:19] for t in result["trades"]] == ["12:04:00", "12:03:00", "12:02:00"]
    assert query(engine, start=at(361))["total"] == 0
    assert query(engine, end=T0 - timedelta(days=1))["total"] == 0


def test_pagination_keeps_the_total() -> None:
    engine = build()
    first = query(engine, limit=4, offset=0)
    second = query(engine, limit=4, offset=4)
    assert first["total"] == second["total"] == 6
    assert len(first["trades"]) == 4 and len(second["trades"]) == 2
    ids = [t["id"] for t in first["trades"] + second["trades"]]
    assert ids == [t["id"] for t in query(engine)["trades"]]
    assert query(engine, offset=10) == {"trades": [], "total": 6}


def test_bad_history_queries() -> None:
    engine = build()
    for kwargs in ({"type": "BUY_LIMIT"}, {"limit": -1}, {"offset": -5}):
        with pytest.raises(SimError) as refused:
            query(engine, **kwargs)
        assert refused.value.code == "bad_request" and refused.value.status == 400
