"""The broker vocabulary's value types: accounts, positions, pending orders, quotes, candles and trades.

Immutable pydantic models (`frozen`: fields cannot be reassigned; the list fields of CandleSeries and
HistoryPage stay lists so callers can pass them on as before). Unknown fields are refused, times are
aware UTC (naive ones are taken as UTC). Field names match the `/v1` wire models wherever the meaning
is the same; backends translate everything else (see `fxbot/backends/*_mapping.py`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict

from fxbot.domain.broker.enums import OrderType, Side, Timeframe
from fxbot.domain.broker.tickets import display_id, ticket_of


def as_utc(value: datetime) -> datetime:
    """Naive times are taken as UTC; aware times are converted to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(as_utc)]


class BrokerModel(BaseModel):
    """Base of every broker value type: immutable, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


M = TypeVar("M", bound=BrokerModel)
_set_attr = object.__setattr__


class Identified(BrokerModel):
    """A value with a backend id (`id`); see `fxbot.domain.broker.tickets` for tickets."""

    id: str

    @property
    def ticket(self) -> int | None:
        """The MetaTrader ticket this id stands for (None for a `/v1` id)."""
        return ticket_of(self.id)

    @property
    def display_id(self) -> str:
        """The id as replies show it: `#12345678` for a ticket, else the id."""
        return display_id(self.id)


class Account(BrokerModel):
    """An account's money right now (balance, equity, margin). The SDK's `/AccountSummary` maps here."""

    id: str
    balance: float
    equity: float
    margin: float
    free_margin: float
    currency: str
    margin_level: float | None = None  # percent; None when no margin is used
    leverage: int | None = None
    profit: float | None = None  # floating P&L of the open positions
    credit: float | None = None  # broker credit (MetaTrader terminals); None when the API does not say


class AccountSummary(BrokerModel):
    """One account a key reaches, as listed (no money figures).

    `status` is `connected`, `connecting`, `disconnected` or `error` (the terminal failed to log in;
    `status_detail` then says why when the API does).
    """

    id: str
    broker: str  # the broker / trading server name
    platform: str  # "MT4" | "MT5"
    status: str
    login: int | None = None
    name: str | None = None
    currency: str | None = None  # None when the listing does not carry it
    status_detail: str | None = None


class Position(Identified):
    """An open position. `order_id` is the order that opened it (on MetaTrader: the same ticket)."""

    symbol: str
    type: Side
    volume: float  # lots
    open_price: float
    sl: float | None = None
    tp: float | None = None
    profit: float
    order_id: str | None = None
    current_price: float | None = None
    swap: float | None = None
    commission: float | None = None
    opened_at: UtcDatetime | None = None


class PendingOrder(Identified):
    """A pending (limit, stop or stop-limit) order; `price` is its trigger price.

    For stop-limit orders `stop_limit_price` is the limit price placed once `price` trades (None when
    the backend cannot tell).
    """

    symbol: str
    type: OrderType
    volume: float
    price: float
    sl: float | None = None
    tp: float | None = None
    status: str = "pending"
    created_at: UtcDatetime | None = None
    stop_limit_price: float | None = None


class Quote(BrokerModel):
    """A bid/ask for one symbol; `spread` in pips (None when unknown).

    `account_id` is the account whose broker priced it when prices are per account (terminal
    backends); None when one price serves every account of the key (the `/v1` API).
    """

    symbol: str
    bid: float
    ask: float
    spread: float | None = None
    time: UtcDatetime
    account_id: str | None = None


class Candle(BrokerModel):
    """One OHLC bar; `time` is its open time, `volume` the tick volume."""

    time: UtcDatetime
    open: float
    high: float
    low: float
    close: float
    volume: float


class CandleSeries(BrokerModel):
    """Candles of one symbol and timeframe, oldest first."""

    symbol: str
    timeframe: Timeframe
    candles: list[Candle]


class Trade(Identified):
    """A closed trade (a closing deal): `type` is the side of the position it closed.

    `profit` excludes `commission` and `swap` (net = profit + commission + swap). `reason` is
    `sl`, `tp`, `stop_out`, `manual` or None (unknown).
    """

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


class HistoryPage(BrokerModel):
    """One page of closed trades, newest first, and how many match in all."""

    trades: list[Trade]
    total: int


def copied(cls: type[M], values: dict[str, Any], fields_set: set[str]) -> M:
    """A `cls` holding `values` as they are, without validating them: for a backend copying a wire value whose
    fields were validated to exactly this model's types and constraints (what `cls.model_construct` builds, without
    its per-field loop). `values` must name every field; `fields_set` the ones the wire value was given."""
    made = cls.__new__(cls)
    _set_attr(made, "__dict__", values)
    _set_attr(made, "__pydantic_fields_set__", fields_set)
    _set_attr(made, "__pydantic_extra__", None)
    _set_attr(made, "__pydantic_private__", None)
    return made

