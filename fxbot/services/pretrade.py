"""Pre-trade maths, free of I/O: stops in pips, stop and pending-price sides, margin and margin level."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from fxbot.domain.broker import OrderType, Side
from fxbot.domain.currency import convert
from fxbot.domain.formatting import format_price
from fxbot.domain.instruments import INSTRUMENTS, InstrumentSpec

if TYPE_CHECKING:
    from fxbot.services.multi_tp import TpLegFigures
    from fxbot.services.risk_sizing import RiskSizing

StopKind = Literal["sl", "tp"]

#: The margin level (percent) at which the broker closes positions. FxSocket's /v1 account does not report
#: it; 50% is the usual level (and the simulator's).
DEFAULT_STOP_OUT_LEVEL = 50.0


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


@dataclass(frozen=True, slots=True)
class StopBounds:
    """The levels stops are checked against: a BUY's SL under `below` and TP over `above`;
    a SELL's SL over `above` and TP under `below`. Labels name the levels in messages."""

    below: float
    above: float
    below_label: str
    above_label: str

    @classmethod
    def market(cls, symbol: str, bid: float, ask: float) -> StopBounds:
        """A new market order: closes at the bid (BUY) or ask (SELL), enters at the other side."""
        return cls(bid, ask, f"the current bid {format_price(symbol, bid)}",
                   f"the current ask {format_price(symbol, ask)}")

    @classmethod
    def at(cls, symbol: str, price: float, what: str) -> StopBounds:
        """One level for both (a pending order's price, an open position's closing price)."""
        label = f"{what} {format_price(symbol, price)}"
        return cls(price, price, label, label)

    @classmethod
    def position(cls, symbol: str, side: Side, bid: float, ask: float) -> StopBounds:
        """An open position's stops, checked at the price it would close at (bid for BUY, ask for SELL)."""
        if side is Side.BUY:
            return cls.at(symbol, bid, "the current bid")
        return cls.at(symbol, ask, "the current ask")


def stop_side_problem(side: Side, sl: float | None, tp: float | None, spec: InstrumentSpec,
                      bounds: StopBounds) -> str | None:
    """Why these stops are on the wrong side (a sentence naming the level), or None when they are fine."""
    symbol = spec.symbol
    below, above = spec.to_points(bounds.below), spec.to_points(bounds.above)
    if sl is not None:
        sl_pts = spec.to_points(sl)
        if side is Side.BUY and sl_pts >= below:
            return (f"the stop loss {format_price(symbol, sl)} must be below {bounds.below_label} "
                    "for a BUY "
                    "(a BUY's stop loss sits under the price)")
        if side is Side.SELL and sl_pts <= above:
            return (f"the stop loss {format_price(symbol, sl)} must be above {bounds.above_label} "
                    "for a SELL "
                    "(a SELL's stop loss sits over the price)")
    if tp is not None:
        tp_pts = spec.to_points(tp)
        if side is Side.BUY and tp_pts <= above:
            return (f"the take profit {format_price(symbol, tp)} must be above {bounds.above_label} "
                    "for a BUY "
                    "(a BUY's take profit sits over the price)")
        if side is Side.SELL and tp_pts >= below:
            return (f"the take profit {format_price(symbol, tp)} must be below {bounds.below_label} "
                    "for a SELL "
                    "(a SELL's take profit sits under the price)")
    return None


def pending_price_problem(order_type: OrderType, price: float, bid: float, ask: float,
                          spec: InstrumentSpec) -> str | None:
    """Why a pending order's price is on the wrong side for its type (a sentence), or None.

    BUY_LIMIT below the ask, BUY_STOP above the ask, SELL_LIMIT above the bid, SELL_STOP below the bid; a
    stop-limit order's `price` is its stop (trigger) price: BUY_STOP_LIMIT above the ask, SELL_STOP_LIMIT
    below the bid (its limit is checked by `stop_limit_problem`).
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
    if order_type is OrderType.BUY_STOP_LIMIT and price_pts <= spec.to_points(ask):
        return (f"a BUY STOP LIMIT's stop price must be above {ask_text}, got {shown} "
                "(to buy below the market use /buylimit)")
    if order_type is OrderType.SELL_STOP_LIMIT and price_pts >= spec.to_points(bid):
        return (f"a SELL STOP LIMIT's stop price must be below {bid_text}, got {shown} "
                "(to sell above the market use /selllimit)")
    return None


def stop_limit_problem(order_type: OrderType, stop: float, limit: float, spec: InstrumentSpec) -> str | None:
    """Why a stop-limit order's limit is on the wrong side of its stop price (a sentence), or None.

    When the price reaches the stop, a limit order is placed at `limit`: a BUY STOP LIMIT's limit is at or
    below its stop (it buys no higher than the limit), a SELL STOP LIMIT's at or above it.
    """
    symbol = spec.symbol
    stop_pts, limit_pts = spec.to_points(stop), spec.to_points(limit)
    stop_text, limit_text = format_price(symbol, stop), format_price(symbol, limit)
    if order_type is OrderType.BUY_STOP_LIMIT and limit_pts > stop_pts:
        return (f"a BUY STOP LIMIT's limit {limit_text} must be at or below its stop price {stop_text} (when the "
                "price rises to the stop, a buy limit is placed at the limit; to buy at any price above the "
                "stop use /buystop)")
    if order_type is OrderType.SELL_STOP_LIMIT and limit_pts < stop_pts:
        return (f"a SELL STOP LIMIT's limit {limit_text} must be at or above its stop price {stop_text} (when the "
                "price falls to the stop, a sell limit is placed at the limit; to sell at any price below the "
                "stop use /sellstop)")
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
    """Everything the confirmation card shows about one order before it is sent.

    `price` is the market entry or the pending order's price; for a stop-limit order it is the stop
    (trigger) price and `stop_limit_price` the limit the order fills at, which its stops in pips, margin
    and margin level are worked out from.
    """

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
    stop_out_level: float = DEFAULT_STOP_OUT_LEVEL
    stop_limit_price: float | None = None
    sizing: RiskSizing | None = None  # how `volume` was sized from the money at risk (risk=)
    tp_legs: tuple[TpLegFigures, ...] = ()  # a multi-TP order: one position per take profit
    margin_from_broker: bool = False  # `required_margin` is the broker's own figure (OrderCalcMargin)

    @property
    def entry(self) -> float:
        """Where the order fills: the limit of a stop-limit order, else `price`."""
        return self.stop_limit_price if self.stop_limit_price is not None else self.price

    @property
    def side(self) -> Side:
        return self.order_type.side
