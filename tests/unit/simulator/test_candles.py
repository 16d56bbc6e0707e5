"""Generated history, live M1 updates and aggregation consistency across all nine timeframes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fxbot.simulator.candles import TIMEFRAMES
from fxbot.simulator.engine import SimEngine

START = datetime(2026, 3, 31, 12, 0, 30, tzinfo=UTC)


def bars(engine: SimEngine, timeframe: str, limit: int = 5000, **kwargs: Any) -> list[dict[str, Any]]:
    result = engine.candles("EURUSD", timeframe, kwargs.get("start"), kwargs.get("end"), limit, START)
    assert result["symbol"] == "EURUSD" and result["timeframe"] == timeframe
    return list(result["candles"])


def aggregate(group: list[dict[str, Any]]) -> tuple[float, float, float, float, int]:
    return (
        group[0]["open"],
        max(b["high"] for b in group),
        min(b["low"] for b in group),
        group[-1]["close"],
        sum(b["volume"] for b in group),
    )


def ohlcv(bar: dict[str, Any]) -> tuple[float, float, float, float, int]:
    return bar["open"], bar["high"], bar["low"], bar["close"], bar["volume"]


def ticked_engine() -> SimEngine:
    engine = SimEngine(seed=11, start_time=START)
    for second in range(1, 400, 7):  # live ticks over several minutes
        engine.tick(START + timedelta(seconds=second))
    return engine


@pytest.fixture(scope="module")
def engine() -> SimEngine:
    """Shared by the read-only tests of this module (building it is slow): never change it in a test."""
    return ticked_engine()


def test_history_covers_30_days_and_ends_at_the_quote() -> None:
    fresh = SimEngine(seed=3, start_time=START)
    m1 = fresh.candles("EURUSD", "M1", None, None, 5000, START)["candles"]
    assert m1[-1]["time"] == "2026-03-31T12:00:00.000Z"
    assert m1[-1]["close"] == fresh.quote("EURUSD")["bid"]
    full = fresh.candles("EURUSD", "M1", None, None, 10**6, START)["candles"]
    first = datetime.fromisoformat(full[0]["time"].replace("Z", "+00:00"))
    assert START - first >= timedelta(days=30)
    assert len(full) >= 30 * 1440
    # continuous: each bar opens at the previous close, prices at the symbol's digits, high/low envelope
    for previous, bar in zip(full[-2000:], full[-1999:], strict=False):
        assert bar["open"] == previous["close"]
        assert bar["low"] <= min(bar["open"], bar["close"]) <= max(bar["open"], bar["close"]) <= bar["high"]
        assert round(bar["high"], 5) == bar["high"]


def test_live_ticks_update_and_open_m1_bars() -> None:
    engine = ticked_engine()  # its own: setting a quote below would change the shared one under other tests
    m1 = bars(engine, "M1", limit=10)
    last_quote = engine.quote("EURUSD")
    assert m1[-1]["close"] == last_quote["bid"]
    assert m1[-1]["time"] == "2026-03-31T12:07:00.000Z"  # START + 397 s
    assert [b["time"][11:16] for b in m1[-8:]] == [f"12:0{i}" for i in range(8)]
    engine.set_quote("EURUSD", 1.20000, 1.20002, START + timedelta(seconds=420))
    m1 = bars(engine, "M1", limit=2)
    assert m1[-1]["time"][11:16] == "12:07" and m1[-1]["close"] == 1.2 and m1[-1]["high"] == 1.2
    assert bars(engine, "H1", limit=1)[-1]["high"] == 1.2
    assert bars(engine, "MN", limit=1)[-1]["close"] == 1.2


@pytest.fixture(scope="module")
def m1_minutes(engine: SimEngine) -> list[tuple[int, dict[str, Any]]]:
    """Every M1 bar with its open time as an epoch minute."""
    out = []
    for bar in bars(engine, "M1", limit=10**6):
        moment = datetime.fromisoformat(bar["time"].replace("Z", "+00:00"))
        out.append((int(moment.timestamp() // 60), bar))
    return out


@pytest.mark.parametrize(
    ("timeframe", "minutes"), [("M5", 5), ("M15", 15), ("M30", 30), ("H1", 60), ("H4", 240), ("D1", 1440)]
)
def test_each_timeframe_aggregates_its_m1_bars(
    engine: SimEngine, m1_minutes: list[tuple[int, dict[str, Any]]], timeframe: str, minutes: int
) -> None:
    by_bucket: dict[str, list[dict[str, Any]]] = {}
    for epoch_minute, bar in m1_minutes:
        bucket = datetime.fromtimestamp((epoch_minute - epoch_minute % minutes) * 60, tz=UTC)
        by_bucket.setdefault(bucket.strftime("%Y-%m-%dT%H:%M:%S.000Z"), []).append(bar)
    first = next(iter(by_bucket))
    higher = [b for b in bars(engine, timeframe, limit=10**6) if b["time"] >= first]
    assert [b["time"] for b in higher] == list(by_bucket)
    for bar in higher:
        assert ohlcv(bar) == aggregate(by_bucket[bar["time"]]), bar["time"]


def test_h1_bar_equals_its_60_m1_bars(engine: SimEngine) -> None:
    h1 = bars(
        engine, "H1", start=datetime(2026, 3, 30, 9, tzinfo=UTC), end=datetime(2026, 3, 30, 9, tzinfo=UTC)
    )
    assert len(h1) == 1
    m1 = bars(
        engine,
        "M1",
        start=datetime(2026, 3, 30, 9, tzinfo=UTC),
        end=datetime(2026, 3, 30, 9, 59, 59, tzinfo=UTC),
    )
    assert len(m1) == 60
    assert ohlcv(h1[0]) == aggregate(m1)


def test_weeks_start_monday_and_months_on_the_first(engine: SimEngine) -> None:
    w1 = bars(engine, "W1")
    mn = bars(engine, "MN")
    d1 = bars(engine, "D1")
    assert len(w1) > 4 and len(mn) >= 2
    for bar in w1:
        moment = datetime.fromisoformat(bar["time"].replace("Z", "+00:00"))
        assert moment.weekday() == 0 and (moment.hour, moment.minute) == (0, 0)
    for bar in mn:
        assert bar["time"][8:] == "01T00:00:00.000Z"
    assert all(bar["time"].endswith("T00:00:00.000Z") for bar in d1)
    # consistency with D1
    week = w1[-2]
    days = [d for d in d1 if week["time"] <= d["time"] < w1[-1]["time"]]
    assert len(days) == 7 and ohlcv(week) == aggregate(days)
    march = [d for d in d1 if d["time"].startswith("2026-03")]
    (march_bar,) = [m for m in mn if m["time"].startswith("2026-03")]
    assert ohlcv(march_bar) == aggregate(march)


def test_range_is_inclusive_and_limit_takes_the_latest(engine: SimEngine) -> None:
    start, end = datetime(2026, 3, 30, 10, tzinfo=UTC), datetime(2026, 3, 30, 14, tzinfo=UTC)
    h1 = bars(engine, "H1", start=start, end=end)
    assert [b["time"][11:13] for b in h1] == ["10", "11", "12", "13", "14"]
    latest = bars(engine, "H1", limit=2, start=start, end=end)
    assert latest == h1[-2:]
    assert bars(engine, "H1", start=end, end=start) == []
    assert len(bars(engine, "H1", limit=5000)) == 5000  # deep H1 history before the M1 month


def test_all_timeframes_answer(engine: SimEngine) -> None:
    for timeframe in TIMEFRAMES:
        got = bars(engine, timeframe, limit=3)
        assert len(got) == 3
        assert got == sorted(got, key=lambda b: b["time"])
    assert engine.candles("eurusd", "h1", None, None, 1, START)["timeframe"] == "H1"


def test_same_seed_same_candles_other_seed_differs() -> None:
    one = SimEngine(seed=5, start_time=START)
    two = SimEngine(seed=5, start_time=START)
    other = SimEngine(seed=6, start_time=START)
    first = one.candles("GBPJPY", "M15", None, None, 300, START)
    assert first == two.candles("GBPJPY", "M15", None, None, 300, START)
    assert first != other.candles("GBPJPY", "M15", None, None, 300, START)
