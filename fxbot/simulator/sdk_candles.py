"""Bars of the SDK face in broker time: M1–H1 as the engine has them, H4–MN1 re-cut at the server's midnight."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fxbot.domain.instruments import INSTRUMENTS
from fxbot.simulator.engine import SimEngine
from fxbot.simulator.sdk_time import BrokerClock, format_server
from fxbot.simulator.wire_time import as_utc

# With a whole-hour offset, the engine's UTC buckets up to H1 are also broker buckets: only the label moves.
SHIFTED = ("M1", "M5", "M15", "M30", "H1")
# These start at the server's midnight (H4 at 00/04/08…, weeks on Sunday), so they are rebuilt from H1.
REBUCKETED = ("H4", "D1", "W1", "MN1")
TIMEFRAMES = SHIFTED + REBUCKETED
DEFAULT_COUNT = 500  # bars answered when no `from` is given (the most recent ones)
_ALL = 10**9


def _h4(local: datetime) -> datetime:
    return local.replace(hour=local.hour - local.hour % 4, minute=0, second=0, microsecond=0)


def _d1(local: datetime) -> datetime:
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _w1(local: datetime) -> datetime:
    return _d1(local) - timedelta(days=(local.weekday() + 1) % 7)


def _mn1(local: datetime) -> datetime:
    return _d1(local).replace(day=1)


BUCKETS: dict[str, Callable[[datetime], datetime]] = {"H4": _h4, "D1": _d1, "W1": _w1, "MN1": _mn1}


def canonical_timeframe(value: str) -> str | None:
    name = value.strip().upper() if isinstance(value, str) else ""
    return name if name in TIMEFRAMES else None


def _utc(wire_time: str) -> datetime:
    return datetime.fromisoformat(wire_time[:-1]).replace(tzinfo=UTC)


class BrokerBars:
    """Candle JSON for one symbol and timeframe, with times in broker server time."""

    def __init__(self, engine: SimEngine, clock: BrokerClock) -> None:
        self.engine = engine
        self.clock = clock

    def candles(
        self, symbol: str, timeframe: str, start: datetime | None, end: datetime | None, count: int = DEFAULT_COUNT
    ) -> list[dict[str, Any]]:
        """Bars opening in [start, end] (real UTC bounds); without `start`, the last `count` of them."""
        spread = INSTRUMENTS[symbol].typical_spread_points
        now = datetime.now(UTC)
        if timeframe in SHIFTED:
            limit = count if start is None else _ALL
            bars = self.engine.candles(symbol, timeframe, start, end, limit, now)["candles"]
            return [self._candle(self.clock.render(_utc(bar["time"])), bar, spread) for bar in bars]
        hourly = self.engine.candles(symbol, "H1", start, None, _ALL, now)["candles"]
        out = self._rebucket(hourly, BUCKETS[timeframe], end, spread)
        return out if start is not None else out[-count:]

    def current(self, symbol: str, timeframe: str, now: datetime) -> dict[str, Any] | None:
        """The bar forming now (what a `bars` subscription pushes on every tick)."""
        if timeframe in SHIFTED:
            bars = self.candles(symbol, timeframe, None, None, 1)
        else:
            opened = self.clock.to_utc(BUCKETS[timeframe](self.clock.to_server(now)))
            bars = self.candles(symbol, timeframe, opened, None)
        return bars[-1] if bars else None

    def _rebucket(
        self, hourly: list[dict[str, Any]], bucket: Callable[[datetime], datetime], end: datetime | None, spread: int
    ) -> list[dict[str, Any]]:
        last_utc = None if end is None else as_utc(end)
        out: list[dict[str, Any]] = []
        current: datetime | None = None
        for bar in hourly:
            key = bucket(self.clock.to_server(_utc(bar["time"])))
            if key != current:
                if last_utc is not None and self.clock.to_utc(key) > last_utc:
                    break
                current = key
                out.append(self._candle(format_server(key), bar, spread))
                continue
            merged = out[-1]
            merged["high"] = max(merged["high"], bar["high"])
            merged["low"] = min(merged["low"], bar["low"])
            merged["close"] = bar["close"]
            merged["tickVolume"] += bar["volume"]
        return out

    @staticmethod
    def _candle(time: str, bar: dict[str, Any], spread: int) -> dict[str, Any]:
        return {
            "time": time,
            "open": bar["open"],
            "high": bar["high"],
            "low": bar["low"],
            "close": bar["close"],
            "tickVolume": bar["volume"],
            "realVolume": 0,
            "spread": spread,
        }
