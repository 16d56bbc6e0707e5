"""The broker vocabulary's enumerations: order side, order type (stop-limit included) and chart timeframe."""

from __future__ import annotations

from enum import StrEnum


class Side(StrEnum):
    """The direction of a position or trade."""

    BUY = "BUY"
    SELL = "SELL"

    @property
    def opposite(self) -> Side:
        """SELL for BUY and BUY for SELL (a closing deal goes the other way)."""
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderType(StrEnum):
    """How an order executes. Values are those of the `/v1` API; the two stop-limit types exist only on
    MetaTrader 5 terminals (the SDK backend); the `/v1` backend refuses them before sending."""

    BUY = "BUY"
    SELL = "SELL"
    BUY_LIMIT = "BUY_LIMIT"
    SELL_LIMIT = "SELL_LIMIT"
    BUY_STOP = "BUY_STOP"
    SELL_STOP = "SELL_STOP"
    BUY_STOP_LIMIT = "BUY_STOP_LIMIT"
    SELL_STOP_LIMIT = "SELL_STOP_LIMIT"

    @property
    def side(self) -> Side:
        """The direction of the order: BUY for every BUY_* type, else SELL."""
        return Side.BUY if self.value.startswith("BUY") else Side.SELL

    @property
    def is_pending(self) -> bool:
        """True for every pending (limit, stop, stop-limit) type, which needs a `price`."""
        return self not in (OrderType.BUY, OrderType.SELL)

    @property
    def is_stop_limit(self) -> bool:
        """True for BUY_STOP_LIMIT/SELL_STOP_LIMIT, which also need a `stop_limit_price`."""
        return self in (OrderType.BUY_STOP_LIMIT, OrderType.SELL_STOP_LIMIT)


class Timeframe(StrEnum):
    """A candle period. `MN` is one month (MetaTrader terminals call it `MN1`; backends translate)."""

    M1 = "M1"
    M5 = "M5"
    M15 = "M15"
    M30 = "M30"
    H1 = "H1"
    H4 = "H4"
    D1 = "D1"
    W1 = "W1"
    MN = "MN"
