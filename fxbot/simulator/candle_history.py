"""Seeded generation of past bars (M1 for the recent month, H1 before it) ending at a given price."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from fxbot.domain.instruments import InstrumentSpec
from fxbot.simulator.market import minute_volatility

M1_HISTORY_DAYS = 32
H1_HISTORY_DAYS = 365
_REVERSION = 1.0 / (30 * 1440)


@dataclass(slots=True)
class BarSeries:
    """Bars as parallel lists: open time in epoch minutes, OHLC in integer points, tick volume."""

    t: list[int] = field(default_factory=list)
    o: list[int] = field(default_factory=list)
    h: list[int] = field(default_factory=list)
    low: list[int] = field(default_factory=list)
    c: list[int] = field(default_factory=list)
    v: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.t)

    def append(self, t: int, o: int, h: int, low: int, c: int, v: int) -> None:
        self.t.append(t)
        self.o.append(o)
        self.h.append(h)
        self.low.append(low)
        self.c.append(c)
        self.v.append(v)

    def prepend(self, older: BarSeries) -> None:
        """Put `older` (entirely before this series) in front of it."""
        self.t[:0] = older.t
        self.o[:0] = older.o
        self.h[:0] = older.h
        self.low[:0] = older.low
        self.c[:0] = older.c
        self.v[:0] = older.v

    def pop(self) -> None:
        for column in (self.t, self.o, self.h, self.low, self.c, self.v):
            column.pop()


def m1_history_start(first_live_minute: int) -> int:
    """Epoch minute where generated M1 history begins: 00:00 UTC, M1_HISTORY_DAYS days back."""
    return first_live_minute - first_live_minute % 1440 - M1_HISTORY_DAYS * 1440


def generate_history(
    spec: InstrumentSpec, seed: int, first_live_minute: int, end_price: int
) -> tuple[BarSeries, BarSeries]:
    """(H1 bars before the M1 window, M1 bars up to `first_live_minute` excluded).

    Walks backwards from `end_price`, so the last M1 close equals `end_price` exactly and every bar
    opens at the previous bar's close. Deterministic for (seed, symbol, first_live_minute).
    """
    rng = random.Random(f"{seed}:{spec.symbol}:history")
    ref = spec.reference_price * 10.0**spec.digits
    m1_start = m1_history_start(first_live_minute)
    m1 = _walk_back(rng, ref, end_price, first_live_minute, m1_start, 1, minute_volatility(spec.symbol))
    first_open = m1.o[0] if len(m1) else end_price
    h1_start = m1_start - H1_HISTORY_DAYS * 1440
    h1 = _walk_back(rng, ref, first_open, m1_start, h1_start, 60, minute_volatility(spec.symbol))
    return h1, m1


def _walk_back(
    rng: random.Random, ref: float, end_close: int, end_minute: int, start_minute: int, step: int,
    minute_vol: float,
) -> BarSeries:
    count = max(0, (end_minute - start_minute) // step)
    sigma = minute_vol * ref * math.sqrt(step)
    wick = sigma * 0.6
    keep = 1.0 - _REVERSION * step
    drift = ref * _REVERSION * step
    base_volume = 40 * step if step > 1 else 40
    gauss, uniform = rng.gauss, rng.random
    noise = [gauss(0.0, sigma) for _ in range(count)]
    up = [int(uniform() * wick) for _ in range(count)]
    down = [int(uniform() * wick) for _ in range(count)]
    volumes = [base_volume // 2 + int(uniform() * base_volume) for _ in range(count)]
    times = list(range(end_minute - step, end_minute - step * (count + 1), -step))
    opens: list[int] = []
    highs: list[int] = []
    lows: list[int] = []
    closes: list[int] = []
    close = end_close
    for i in range(count):
        opened = round(close * keep + drift + noise[i])
        if opened < 2:
            opened = 2
        opens.append(opened)
        closes.append(close)
        if opened > close:
            highs.append(opened + up[i])
            low = close - down[i]
        else:
            highs.append(close + up[i])
            low = opened - down[i]
        lows.append(low if low > 0 else 1)
        close = opened
    for column in (times, opens, highs, lows, closes, volumes):
        column.reverse()
    return BarSeries(times, opens, highs, lows, closes, volumes)
