"""Instrument specifications (digits, pip size, contract size, volume limits) and point arithmetic."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class InstrumentSpec:
    """What a trader and a broker agree on about one symbol."""

    symbol: str
    base: str
    quote: str
    digits: int
    pip_size: float
    contract_size: float
    typical_spread_points: int
    reference_price: float
    min_volume: float = 0.01
    max_volume: float = 100.0
    volume_step: float = 0.01

    @property
    def point(self) -> float:
        """The smallest price increment (10^-digits)."""
        return 10.0 ** -self.digits

    def to_points(self, price: float) -> int:
        """The price as integer points, so 1.09 and 1.0900 compare equal and float noise never decides."""
        return round(price * 10.0**self.digits)

    def from_points(self, points: int) -> float:
        """Integer points back to a price rounded to the symbol's digits."""
        return round(points / 10.0**self.digits, self.digits)

    def round_price(self, price: float) -> float:
        """A price rounded to the symbol's digits."""
        return round(price, self.digits)

    def pips(self, price_distance: float) -> float:
        """A price distance expressed in pips (one decimal)."""
        return round(price_distance / self.pip_size, 1)


def _fx(symbol: str, digits: int, spread_points: int, price: float) -> InstrumentSpec:
    pip = 0.01 if digits == 3 else 0.0001
    return InstrumentSpec(
        symbol=symbol,
        base=symbol[:3],
        quote=symbol[3:],
        digits=digits,
        pip_size=pip,
        contract_size=100_000.0,
        typical_spread_points=spread_points,
        reference_price=price,
    )


INSTRUMENTS: dict[str, InstrumentSpec] = {
    spec.symbol: spec
    for spec in (
        _fx("EURUSD", 5, 2, 1.08340),
        _fx("GBPUSD", 5, 6, 1.26450),
        _fx("USDJPY", 3, 8, 151.200),
        _fx("USDCHF", 5, 9, 0.88250),
        _fx("AUDUSD", 5, 5, 0.65830),
        _fx("USDCAD", 5, 10, 1.35720),
        _fx("NZDUSD", 5, 12, 0.60410),
        _fx("EURGBP", 5, 8, 0.85680),
        _fx("EURJPY", 3, 12, 163.810),
        _fx("GBPJPY", 3, 20, 191.190),
        _fx("EURCHF", 5, 14, 0.95610),
        InstrumentSpec(
            symbol="XAUUSD",
            base="XAU",
            quote="USD",
            digits=2,
            pip_size=0.1,
            contract_size=100.0,
            typical_spread_points=25,
            reference_price=2315.40,
        ),
        InstrumentSpec(
            symbol="XAGUSD",
            base="XAG",
            quote="USD",
            digits=3,
            pip_size=0.01,
            contract_size=5000.0,
            typical_spread_points=30,
            reference_price=27.350,
        ),
    )
}


def instrument(symbol: str) -> InstrumentSpec | None:
    """The spec of a symbol (case-insensitive), or None when fxbot does not know it."""
    return INSTRUMENTS.get(symbol.upper())
