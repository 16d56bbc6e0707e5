"""Pre-trade maths, free of I/O: stops given in pips, stop and pending-price sides, margin and margin level."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from fxbot.domain.currency import convert
from fxbot.domain.formatting import format_price
from fxbot.domain.instruments import INSTRUMENTS, InstrumentSpec
from fxbot.fxsocket.models import OrderType, Side

StopKind = Literal["sl", "tp"]


class StopInput(Protocol):
    """A stop as typed by the user: a price, or a distance in pips (`sl=20p`)."""

    @property
    def value(self) -> float: ...

    @property
    def in_pips(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class PlainStop:
    """A concrete StopInput (the chat core's PriceOrPips has the same shape)."""

    value: float
    in_pips: bool = False


def resolve_stop(stop: StopInput | None, *, kind: StopKind, side: Side, entry: float,
                 spec: InstrumentSpec) -> float | None:
    """The stop as a price: a price is kept (rounded to the digits); pips are measured from `entry`.

    For a BUY the SL lies below and the TP above the entry; for a SELL the reverse.
    """
    if stop is None:
        return None
    if not stop.in_pips:
        return spec.round_price(stop.value)
    distance = stop.value * spec.pip_size
    below = (kind == "sl") == (side is Side.BUY)
    points = spec.to_points(entry) + (-1 if below else 1) * round(distance / spec.point)
    return spec.from_points(points)


def distance_pips(entry: float, price: float | None, spec: InstrumentSpec) -> float | None:
    """The unsigned distance between `entry` and `price` in pips (one decimal); None for no price."""
    if price is None:
        return None
    return spec.pips(abs(spec.to_points(price) - spec.to_points(entry)) * spec.point)


def stop_side_problem(side: Side, entry: float, sl: float | None, tp: float | None,
                      spec: InstrumentSpec, *, entry_label: str) -> str | None:
    """Why these stops are on the wrong side of `entry` (a sentence), or None when they are fine.

    A BUY needs SL < entry < TP; a SELL needs TP < entry < SL. `entry_label` names the reference
    ("the current ask 1.08342", "the order price 1.08000").
    """
    entry_pts = spec.to_points(entry)
    symbol = spec.symbol
    if sl is not None:
        sl_pts = spec.to_points(sl)
        if side is Side.BUY and sl_pts >= entry_pts:
            return (f"the stop loss {format_price(symbol, sl)} must be below {entry_label} for a BUY "
                    "(a BUY's stop loss sits under the entry)")
        if side is Side.SELL and sl_pts <= entry_pts:
            return (f"the stop loss {format_price(symbol, sl)} must be above {entry_label} for a SELL "
                    "(a SELL's stop loss sits over the entry)")
    if tp is not None:
        tp_pts = spec.to_points(tp)
        if side is Side.BUY and tp_pts <= entry_pts:
            return (f"the take profit {format_price(symbol, tp)} must be above {entry_label} for a BUY "
                    "(a BUY's take profit sits over the entry)")
        if side is Side.SELL and tp_pts >= entry_pts:
            return (f"the take profit {format_price(symbol, tp)} must be below {entry_label} for a SELL "
                    "(a SELL's take profit sits under the entry)")
    return None


def pending_price_problem(order_type: OrderType, price: float, bid: float, ask: float,
                          spec: InstrumentSpec) -> str | None:
    """Why a pending order's price is on the wrong side for its type (a sentence), or None.

    BUY_LIMIT below the ask, BUY_STOP above the ask, SELL_LIMIT above the bid, SELL_STOP below the bid.
    """
    price_pts = spec.to_points(price)
    symbol = spec.symbol
    shown = format_price(symbol, price)
    ask_text = f"the current ask {format_price(symbol, ask)}"
    bid_text = f"the current bid {format_price(symbol, bid)}"
    if order_type is OrderType.BUY_LIMIT and price_pts >= spec.to_points(ask):
        return (f"a BUY LIMIT price must be below {ask_text}, got {shown} "
                "(to buy above the market use /buystop)")
    if order_type is OrderType.BUY_STOP and price_pts <= spec.to_points(ask):
        return (f"a BUY STOP price must be above {ask_text}, got {shown} "
                "(to buy below the market use /buylimit)")
    if order_type is OrderType.SELL_LIMIT and price_pts <= spec.to_points(bid):
        return (f"a SELL LIMIT price must be above {bid_text}, got {shown} "
                "(to sell below the market use /sellstop)")
    if order_type is OrderType.SELL_STOP and price_pts >= spec.to_points(bid):
        return (f"a SELL STOP price must be below {bid_text}, got {shown} "
                "(to sell above the market use /selllimit)")
    return None


def required_margin(volume: float, spec: InstrumentSpec, price: float, leverage: int) -> float:
    """Margin in the symbol's quote currency: volume × contract size × price / leverage."""
    return volume * spec.contract_size * price / max(leverage, 1)


def margin_level_after(equity: float, margin: float, required: float | None) -> float | None:
    """The margin level in percent once `required` is added: equity / (margin + required) × 100."""
    if required is None:
        return None
    total = margin + required
    if total <= 0:
        return None
    return equity / total * 100.0


def conversion_symbols(from_ccy: str, to_ccy: str) -> list[str]:
    """The known symbols whose quotes `fxbot.domain.currency.convert` may need for from -> to."""
    src, dst = from_ccy.upper(), to_ccy.upper()
    if src == dst:
        return []
    wanted = [src + dst, dst + src, src + "USD", "USD" + src, "USD" + dst, dst + "USD"]
    seen: list[str] = []
    for name in wanted:
        if name in INSTRUMENTS and name not in seen:
            seen.append(name)
    return seen


def margin_in_account_currency(volume: float, spec: InstrumentSpec, price: float, leverage: int,
                               account_currency: str, mid: Callable[[str], float | None]) -> float | None:
    """The required margin converted into the account currency (None when no quote links them)."""
    margin = required_margin(volume, spec, price, leverage)
    return convert(margin, spec.quote, account_currency, mid)


def market_entry(side: Side, bid: float, ask: float) -> float:
    """The price a market order fills at: the ask for a BUY, the bid for a SELL."""
    return ask if side is Side.BUY else bid


@dataclass(frozen=True, slots=True)
class PreTradeCard:
    """Everything the confirmation card shows about one order before it is sent."""

    account_id: str
    symbol: str
    order_type: OrderType
    volume: float
    price: float
    is_market: bool
    sl: float | None
    tp: float | None
    sl_pips: float | None
    tp_pips: float | None
    required_margin: float | None
    currency: str
    leverage: int
    equity: float
    free_margin: float
    margin_level_after: float | None
    bid: float
    ask: float

    @property
    def side(self) -> Side:
        return self.order_type.side
