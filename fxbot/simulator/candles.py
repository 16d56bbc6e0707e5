"""Candles of one symbol: M1 bars fed by live prices, higher timeframes aggregated and cached from them."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from fxbot.domain.instruments import InstrumentSpec
from fxbot.simulator.candle_history import BarSeries, generate_history
from fxbot.simulator.wire_time import minute_to_datetime

TIMEFRAMES: tuple[str, ...] = ("M1", "M5", "M15", "M30", "H1", "H4", "D1", "W1", "MN")
# Each timeframe is built from the one before it in this chain (associative OHLCV aggregation).
_SOURCE: dict[str, str] = {
    "M5": "M1", "M15": "M5", "M30": "M15", "H1": "M30", "H4": "H1", "D1": "H4", "W1": "D1", "MN": "D1",
}
_MONDAY_1970_01_05 = 4 * 1440
_WEEK = 7 * 1440


def _fixed(minutes: int) -> Callable[[int], int]:
    def bucket(t: int) -> int:
        return t - t % minutes

    return bucket


def _week(t: int) -> int:
    return t - (t - _MONDAY_1970_01_05) % _WEEK


def _month(t: int) -> int:
    moment = minute_to_datetime(t)
    first = datetime(moment.year, moment.month, 1, tzinfo=UTC)
    return int(first.timestamp() // 60)


BUCKETS: dict[str, Callable[[int], int]] = {
    "M5": _fixed(5), "M15": _fixed(15), "M30": _fixed(30), "H1": _fixed(60), "H4": _fixed(240),
    "D1": _fixed(1440), "W1": _week, "MN": _month,
}


@dataclass(slots=True)
class _Aggregate:
    """Cached bars of one timeframe; only the last bucket is recomputed when its source grows."""

    bars: BarSeries = field(default_factory=BarSeries)
    prefix: int = 0  # leading bars that come from generated deep history, not from the source
    src_starts: list[int] = field(default_factory=list)  # source index where each non-prefix bar begins


@lru_cache(maxsize=4096)
def _day_prefix(day: int) -> str:
    return minute_to_datetime(day * 1440).strftime("%Y-%m-%dT")


def bar_time(minute: int) -> str:
    """Wire time of a bar opening at an epoch minute (fast path of iso_z for whole minutes)."""
    day, rest = divmod(minute, 1440)
    hour, mins = divmod(rest, 60)
    return f"{_day_prefix(day)}{hour:02d}:{mins:02d}:00.000Z"


def canonical_timeframe(timeframe: str) -> str | None:
    """The canonical timeframe name (case-insensitive; MN1 accepted for MN), or None."""
    name = timeframe.strip().upper() if isinstance(timeframe, str) else ""
    name = "MN" if name == "MN1" else name
    return name if name in TIMEFRAMES else None


class CandleBook:
    """All bars of one symbol. Generated history is built lazily on the first candle request."""

    def __init__(self, spec: InstrumentSpec, seed: int, start_minute: int, start_bid: int) -> None:
        self._spec = spec
        self._seed = seed
        self._start_minute = start_minute
        self._start_bid = start_bid
        self._m1 = BarSeries()
        self._m1.append(start_minute, start_bid, start_bid, start_bid, start_bid, 1)
        self._aggregates: dict[str, _Aggregate] | None = None

    @property
    def history_loaded(self) -> bool:
        return self._aggregates is not None

    def on_price(self, bid: int, minute: int) -> None:
        """Feed one live bid: updates the current M1 bar or opens a new one when the minute advanced."""
        m1 = self._m1
        last = len(m1.t) - 1
        if minute > m1.t[last]:
            m1.append(minute, bid, bid, bid, bid, 1)
            return
        if bid > m1.h[last]:
            m1.h[last] = bid
        if bid < m1.low[last]:
            m1.low[last] = bid
        m1.c[last] = bid
        m1.v[last] += 1

    def series(self, timeframe: str) -> BarSeries:
        """Up-to-date bars of a canonical timeframe (generates history on first use)."""
        aggregates = self._ensure_history()
        if timeframe == "M1":
            return self._m1
        source = self.series(_SOURCE[timeframe])
        aggregate = aggregates[timeframe]
        _refresh(aggregate, source, BUCKETS[timeframe])
        return aggregate.bars

    def candles(self, timeframe: str, start: datetime | None, end: datetime | None, limit: int
                ) -> list[dict[str, Any]]:
        """Wire candles of a canonical timeframe with open time in [start, end], the latest `limit`."""
        bars = self.series(timeframe)
        lo = 0 if start is None else bisect_left(bars.t, -int(-start.timestamp() // 60))
        hi = len(bars.t) if end is None else bisect_right(bars.t, int(end.timestamp() // 60))
        lo = max(lo, hi - limit)
        digits = self._spec.digits
        scale = 10.0**digits
        out: list[dict[str, Any]] = []
        for i in range(lo, hi):
            out.append({
                "time": bar_time(bars.t[i]),
                "open": round(bars.o[i] / scale, digits),
                "high": round(bars.h[i] / scale, digits),
                "low": round(bars.low[i] / scale, digits),
                "close": round(bars.c[i] / scale, digits),
                "volume": bars.v[i],
            })
        return out

    def _ensure_history(self) -> dict[str, _Aggregate]:
        if self._aggregates is None:
            deep_h1, m1_history = generate_history(
                self._spec, self._seed, self._start_minute, self._start_bid
            )
            self._m1.prepend(m1_history)
            self._aggregates = {name: _Aggregate() for name in TIMEFRAMES if name != "M1"}
            h1 = self._aggregates["H1"]
            h1.bars.prepend(deep_h1)
            h1.prefix = len(deep_h1)
        return self._aggregates


def _refresh(aggregate: _Aggregate, source: BarSeries, bucket: Callable[[int], int]) -> None:
    bars = aggregate.bars
    if len(bars) > aggregate.prefix:
        begin = aggregate.src_starts.pop()
        bars.pop()
    else:
        begin = 0
    st, so, sh, sl, sc, sv = source.t, source.o, source.h, source.low, source.c, source.v
    t, h, low, c, v = bars.t, bars.h, bars.low, bars.c, bars.v
    starts = aggregate.src_starts
    current = t[-1] if len(t) > aggregate.prefix else None
    for i in range(begin, len(st)):
        key = bucket(st[i])
        if key != current:
            bars.append(key, so[i], sh[i], sl[i], sc[i], sv[i])
            starts.append(i)
            current = key
            continue
        if sh[i] > h[-1]:
            h[-1] = sh[i]
        if sl[i] < low[-1]:
            low[-1] = sl[i]
        c[-1] = sc[i]
        v[-1] += sv[i]
