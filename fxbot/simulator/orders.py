"""Records of the trading state: open positions, pending orders and closed trades, with their wire shapes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fxbot.domain.instruments import InstrumentSpec
from fxbot.simulator.wire_time import iso_z

MARKET_TYPES = ("BUY", "SELL")
PENDING_TYPES = ("BUY_LIMIT", "SELL_LIMIT", "BUY_STOP", "SELL_STOP")
ORDER_TYPES = MARKET_TYPES + PENDING_TYPES


def side_of(order_type: str) -> str:
    """BUY or SELL: the direction of a market or pending order type."""
    return "BUY" if order_type.startswith("BUY") else "SELL"


def lots(units: int) -> float:
    """Volume units (hundredths of a lot) as lots."""
    return round(units / 100, 2)


def price_or_none(spec: InstrumentSpec, points: int | None) -> float | None:
    return None if points is None else spec.from_points(points)


@dataclass(slots=True)
class Position:
    """An open position: prices in integer points, volume in hundredths of a lot, money in account ccy."""

    id: str
    order_id: str
    account_id: str
    spec: InstrumentSpec
    side: str
    units: int
    open_pts: int
    sl_pts: int | None
    tp_pts: int | None
    opened_at: datetime
    commission: float
    swap: float = 0.0
    comment: str | None = None

    @property
    def symbol(self) -> str:
        return self.spec.symbol

    def wire(self, profit: float, current_pts: int) -> dict[str, Any]:
        """The GET /v1/positions item."""
        spec = self.spec
        return {
            "id": self.id,
            "symbol": spec.symbol,
            "type": self.side,
            "volume": lots(self.units),
            "open_price": spec.from_points(self.open_pts),
            "sl": price_or_none(spec, self.sl_pts),
            "tp": price_or_none(spec, self.tp_pts),
            "profit": round(profit, 2),
            "order_id": self.order_id,
            "current_price": spec.from_points(current_pts),
            "swap": round(self.swap, 2),
            "commission": round(self.commission, 2),
            "opened_at": iso_z(self.opened_at),
            "comment": self.comment,
        }


@dataclass(slots=True)
class PendingOrder:
    """A pending order waiting for its price."""

    id: str
    account_id: str
    spec: InstrumentSpec
    type: str
    units: int
    price_pts: int
    sl_pts: int | None
    tp_pts: int | None
    created_at: datetime
    comment: str | None = None

    @property
    def symbol(self) -> str:
        return self.spec.symbol

    def wire(self) -> dict[str, Any]:
        """The GET /v1/orders item."""
        spec = self.spec
        return {
            "id": self.id,
            "symbol": spec.symbol,
            "type": self.type,
            "volume": lots(self.units),
            "price": spec.from_points(self.price_pts),
            "sl": price_or_none(spec, self.sl_pts),
            "tp": price_or_none(spec, self.tp_pts),
            "status": "pending",
            "created_at": iso_z(self.created_at),
            "comment": self.comment,
        }


@dataclass(frozen=True, slots=True)
class Trade:
    """A closed trade (all or part of a position) in the account history; money already rounded."""

    id: str
    seq: int
    order_id: str
    position_id: str
    symbol: str
    side: str
    units: int
    open_price: float
    close_price: float
    opened_at: datetime
    closed_at: datetime
    profit: float
    commission: float
    swap: float
    reason: str

    def wire(self) -> dict[str, Any]:
        """The GET /v1/history trade item."""
        return {
            "id": self.id,
            "symbol": self.symbol,
            "type": self.side,
            "volume": lots(self.units),
            "profit": self.profit,
            "closed_at": iso_z(self.closed_at),
            "commission": self.commission,
            "swap": self.swap,
            "open_price": self.open_price,
            "close_price": self.close_price,
            "opened_at": iso_z(self.opened_at),
            "order_id": self.order_id,
            "position_id": self.position_id,
            "reason": self.reason,
        }
