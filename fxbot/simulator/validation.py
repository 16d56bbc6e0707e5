"""Order rules of the simulated broker (volume, pending price, stops); each failure is a SimError."""

from __future__ import annotations

import math

from fxbot.domain.instruments import InstrumentSpec
from fxbot.simulator.errors import SimError
from fxbot.simulator.market import SymbolPrice


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def volume_units(spec: InstrumentSpec, volume: object) -> int:
    """The volume in hundredths of a lot; invalid_volume unless > 0, on the 0.01 step, within min/max."""
    if not _finite(volume) or float(volume) <= 0:  # type: ignore[arg-type]
        raise SimError(400, "invalid_volume", f"volume must be a positive number of lots, got {volume!r}")
    lots = float(volume)  # type: ignore[arg-type]
    steps = round(lots / spec.volume_step)
    if abs(steps * spec.volume_step - lots) > 1e-9:
        raise SimError(400, "invalid_volume",
                       f"volume {lots} is not a multiple of {spec.volume_step} lots for {spec.symbol}")
    if lots < spec.min_volume - 1e-9 or lots > spec.max_volume + 1e-9:
        raise SimError(400, "invalid_volume",
                       f"volume {lots} is outside {spec.min_volume}-{spec.max_volume} lots for {spec.symbol}")
    return round(lots * 100)


def price_points(spec: InstrumentSpec, price: object, what: str, code: str) -> int:
    """A positive price as points at the symbol's digits; `code` error otherwise."""
    if not _finite(price) or float(price) <= 0:  # type: ignore[arg-type]
        raise SimError(400, code, f"{what} must be a positive price, got {price!r}")
    points = spec.to_points(float(price))  # type: ignore[arg-type]
    if points <= 0:
        raise SimError(400, code, f"{what} {price} rounds to zero at {spec.digits} digits")
    return points


def check_pending_price(order_type: str, price_pts: int, quote: SymbolPrice) -> None:
    """A BUY_LIMIT below the ask, BUY_STOP above it, SELL_LIMIT above the bid, SELL_STOP below it."""
    spec = quote.spec
    price = spec.from_points(price_pts)
    rules = {
        "BUY_LIMIT": (price_pts < quote.ask, "below the ask", quote.ask),
        "BUY_STOP": (price_pts > quote.ask, "above the ask", quote.ask),
        "SELL_LIMIT": (price_pts > quote.bid, "above the bid", quote.bid),
        "SELL_STOP": (price_pts < quote.bid, "below the bid", quote.bid),
    }
    ok, where, reference = rules[order_type]
    if not ok:
        raise SimError(400, "invalid_price",
                       f"a {order_type} price must be {where} ({spec.from_points(reference)}), got {price}")


def stop_points(
    spec: InstrumentSpec, side: str, sl: object, tp: object, below: int, above: int
) -> tuple[int | None, int | None]:
    """(sl, tp) in points. A BUY's sl must be under `below` and tp over `above`; a SELL's sl over `above`
    and tp under `below`. None leaves a stop unset; anything else not a positive price is invalid_stops."""
    sl_pts = None if sl is None else price_points(spec, sl, "sl", "invalid_stops")
    tp_pts = None if tp is None else price_points(spec, tp, "tp", "invalid_stops")
    low, high = spec.from_points(below), spec.from_points(above)
    if side == "BUY":
        if sl_pts is not None and sl_pts >= below:
            raise SimError(400, "invalid_stops", f"a BUY stop-loss must be below {low}, got {sl}")
        if tp_pts is not None and tp_pts <= above:
            raise SimError(400, "invalid_stops", f"a BUY take-profit must be above {high}, got {tp}")
    else:
        if sl_pts is not None and sl_pts <= above:
            raise SimError(400, "invalid_stops", f"a SELL stop-loss must be above {high}, got {sl}")
        if tp_pts is not None and tp_pts >= below:
            raise SimError(400, "invalid_stops", f"a SELL take-profit must be below {low}, got {tp}")
    return sl_pts, tp_pts


def entry_bounds(price_pts: int | None, quote: SymbolPrice) -> tuple[int, int]:
    """(below, above) reference levels for stops of a new order.

    Market orders: a BUY's sl must be under the bid (where it would close) and tp over the ask (its entry);
    a SELL's sl over the ask and tp under the bid. Pending orders: relative to the order price.
    """
    if price_pts is not None:
        return price_pts, price_pts
    return quote.bid, quote.ask


def position_bounds(side: str, quote: SymbolPrice) -> tuple[int, int]:
    """(below, above) for modifying an open position's stops: both at the price it would close at."""
    close = quote.bid if side == "BUY" else quote.ask
    return close, close


__all__ = [
    "check_pending_price",
    "entry_bounds",
    "position_bounds",
    "price_points",
    "stop_points",
    "volume_units",
]
