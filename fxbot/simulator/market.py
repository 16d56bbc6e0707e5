"""Live prices of every symbol: a seeded random walk of the bid with a spread jittering around typical."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fxbot.domain.instruments import INSTRUMENTS, InstrumentSpec
from fxbot.simulator.errors import SimError
from fxbot.simulator.wire_time import iso_z

# Relative standard deviation of the mid price over one minute (about 0.45 %/day for majors).
_MINUTE_VOLATILITY: dict[str, float] = {
    "XAUUSD": 0.00018,
    "XAGUSD": 0.00028,
    "GBPJPY": 0.00015,
    "EURJPY": 0.00013,
    "USDJPY": 0.00013,
}
_DEFAULT_MINUTE_VOLATILITY = 0.00012
# Pull of the mid back towards the reference price, per minute (keeps a long run near realistic levels).
_REVERSION_PER_MINUTE = 1.0 / (30 * 1440)
_MIN_STEP_MINUTES = 0.1 / 60
_MAX_STEP_MINUTES = 60.0


def minute_volatility(symbol: str) -> float:
    """Relative one-minute standard deviation used for a symbol's walk and its generated history."""
    return _MINUTE_VOLATILITY.get(symbol, _DEFAULT_MINUTE_VOLATILITY)


@dataclass(slots=True)
class SymbolPrice:
    """The current quote of one symbol, in integer points (bid < ask always)."""

    spec: InstrumentSpec
    mid: float  # points, fractional: the walk's hidden state
    bid: int
    ask: int
    time: datetime

    @property
    def bid_price(self) -> float:
        return self.spec.from_points(self.bid)

    @property
    def ask_price(self) -> float:
        return self.spec.from_points(self.ask)

    @property
    def mid_price(self) -> float:
        return (self.bid + self.ask) / 2 * self.spec.point


def canonical_symbol(symbol: str) -> str | None:
    """The canonical symbol name (case-insensitive match), or None when unknown."""
    name = symbol.strip().upper() if isinstance(symbol, str) else ""
    return name if name in INSTRUMENTS else None


class Market:
    """Owns every symbol's quote and moves it one seeded random-walk step at a time."""

    def __init__(self, seed: int, start_time: datetime) -> None:
        self._rng = random.Random(f"{seed}:market")
        self._prices: dict[str, SymbolPrice] = {}
        for symbol, spec in INSTRUMENTS.items():
            start_rng = random.Random(f"{seed}:{symbol}:start")
            ref = spec.to_points(spec.reference_price)
            bid = max(1, round(ref * math.exp(start_rng.gauss(0.0, 0.002))))
            spread = max(1, spec.typical_spread_points)
            self._prices[symbol] = SymbolPrice(spec, bid + spread / 2, bid, bid + spread, start_time)

    def symbols(self) -> list[str]:
        return list(self._prices)

    def price(self, symbol: str) -> SymbolPrice:
        """The live price of a canonical symbol."""
        return self._prices[symbol]

    def mid(self, symbol: str) -> float | None:
        """Mid price of a symbol, None when the simulator does not quote it (for currency conversion)."""
        state = self._prices.get(symbol)
        return None if state is None else state.mid_price

    def step(self, symbol: str, now: datetime) -> SymbolPrice:
        """Move one symbol by one random-walk step scaled to the time since its last quote."""
        state = self._prices[symbol]
        spec = state.spec
        elapsed = (now - state.time).total_seconds() / 60.0
        minutes = min(max(elapsed, _MIN_STEP_MINUTES), _MAX_STEP_MINUTES)
        ref = spec.reference_price * 10.0**spec.digits
        sigma = minute_volatility(symbol) * state.mid * math.sqrt(minutes)
        state.mid += self._rng.gauss(0.0, sigma) - (state.mid - ref) * _REVERSION_PER_MINUTE * minutes
        state.mid = max(state.mid, 10.0)
        spread = self._spread(spec)
        state.bid = max(1, round(state.mid - spread / 2))
        state.ask = state.bid + spread
        state.time = now
        return state

    def set(self, symbol: str, bid: float, ask: float | None, now: datetime) -> SymbolPrice:
        """Set a symbol's quote (ask None keeps the current spread); bad values change nothing."""
        state = self._prices[symbol]
        spec = state.spec
        if not _is_positive_number(bid) or (ask is not None and not _is_positive_number(ask)):
            raise SimError(400, "invalid_price", "bid and ask must be positive numbers")
        bid_pts = spec.to_points(bid)
        ask_pts = bid_pts + (state.ask - state.bid) if ask is None else spec.to_points(ask)
        if bid_pts <= 0:
            raise SimError(400, "invalid_price", f"bid {bid} rounds to zero at {spec.digits} digits")
        if ask_pts < bid_pts:
            raise SimError(400, "invalid_price", f"ask {ask} is below bid {bid}")
        state.bid, state.ask = bid_pts, ask_pts
        state.mid = (bid_pts + ask_pts) / 2
        state.time = now
        return state

    def quote(self, symbol: str) -> dict[str, Any]:
        """The GET /v1/quotes answer for a canonical symbol (spread in pips, one decimal)."""
        state = self._prices[symbol]
        spec = state.spec
        return {
            "symbol": symbol,
            "bid": state.bid_price,
            "ask": state.ask_price,
            "spread": spec.pips((state.ask - state.bid) * spec.point),
            "time": iso_z(state.time),
        }

    def _spread(self, spec: InstrumentSpec) -> int:
        typical = max(1, spec.typical_spread_points)
        jitter = self._rng.choice((-1, 0, 0, 0, 1)) * max(1, typical // 5)
        return max(1, typical + jitter)


def _is_positive_number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )
