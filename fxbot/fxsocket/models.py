"""Typed pydantic models of the FxSocket v1 REST objects (unknown fields ignored, times aware UTC)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict


def _as_utc(value: datetime) -> datetime:
    """Naive times are taken as UTC; aware times are converted to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class OrderType(StrEnum):
    BUY = "BUY"
    SELL = "SELL"
    BUY_LIMIT = "BUY_LIMIT"
    SELL_LIMIT = "SELL_LIMIT"
    BUY_STOP = "BUY_STOP"
    SELL_STOP = "SELL_STOP"

    @property
    def side(self) -> Side:
        """The direction of the order: BUY for BUY/BUY_LIMIT/BUY_STOP, else SELL."""
        return Side.BUY if self.value.startswith("BUY") else Side.SELL

    @property
    def is_pending(self) -> bool:
        """True for the four pending (limit/stop) types, which need a `price`."""
        return self not in (OrderType.BUY, OrderType.SELL)


class Timeframe(StrEnum):
    M1 = "M1"
    M5 = "M5"
    M15 = "M15"
    M30 = "M30"
    H1 = "H1"
    H4 = "H4"
    D1 = "D1"
    W1 = "W1"
    MN = "MN"


class WireModel(BaseModel):
    """Base of every wire model: unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore")


class Account(WireModel):
    id: str
    balance: float
    equity: float
    margin: float
    free_margin: float
    currency: str
    margin_level: float | None = None
    leverage: int | None = None
    profit: float | None = None


class AccountSummary(WireModel):
    id: str
    broker: str
    platform: str
    status: str
    login: int | None = None
    name: str | None = None
    currency: str | None = None


class Position(WireModel):
    id: str
    symbol: str
    type: Side
    volume: float
    open_price: float
    sl: float | None = None
    tp: float | None = None
    profit: float
    order_id: str | None = None
    current_price: float | None = None
    swap: float | None = None
    commission: float | None = None
    opened_at: UtcDatetime | None = None


class PendingOrder(WireModel):
    id: str
    symbol: str
    type: OrderType
    volume: float
    price: float
    sl: float | None = None
    tp: float | None = None
    status: str = "pending"
    created_at: UtcDatetime | None = None


class OrderRequest(WireModel):
    """Body of `POST /v1/orders`; `price` is needed for pending types and ignored for market ones."""

    symbol: str
    type: OrderType
    volume: float
    price: float | None = None
    sl: float | None = None
    tp: float | None = None
    comment: str | None = None

    def to_body(self) -> dict[str, Any]:
        """The JSON body: unset optional fields are left out."""
        return self.model_dump(mode="json", exclude_none=True)


class OrderResult(WireModel):
    id: str
    symbol: str
    type: OrderType
    volume: float
    price: float
    status: str
    position_id: str | None = None
    sl: float | None = None
    tp: float | None = None
    created_at: UtcDatetime | None = None


class OrderChanges(WireModel):
    """Body of `PATCH /v1/orders/{id}`: only the fields given are sent; an explicit None clears a stop."""

    sl: float | None = None
    tp: float | None = None
    price: float | None = None

    def to_body(self) -> dict[str, Any]:
        """`OrderChanges(sl=None)` -> `{"sl": None}`; `OrderChanges()` -> `{}`."""
        return self.model_dump(mode="json", exclude_unset=True)


class ModifyResult(WireModel):
    id: str
    sl: float | None = None
    tp: float | None = None
    updated: bool
    price: float | None = None


class CloseResult(WireModel):
    id: str
    status: str  # "closed" | "cancelled" | "partially_closed"
    close_price: float | None = None
    profit: float | None = None
    remaining: float | None = None


class Quote(WireModel):
    symbol: str
    bid: float
    ask: float
    spread: float | None = None
    time: UtcDatetime


class Candle(WireModel):
    time: UtcDatetime
    open: float
    high: float
    low: float
    close: float
    volume: float


class CandleSeries(WireModel):
    symbol: str
    timeframe: Timeframe
    candles: list[Candle]


class Trade(WireModel):
    id: str
    symbol: str
    type: Side
    volume: float
    profit: float
    closed_at: UtcDatetime
    commission: float = 0.0
    swap: float = 0.0
    open_price: float | None = None
    close_price: float | None = None
    opened_at: UtcDatetime | None = None
    order_id: str | None = None
    position_id: str | None = None
    reason: str | None = None


class HistoryPage(WireModel):
    trades: list[Trade]
    total: int
