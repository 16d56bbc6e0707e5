"""The broker vocabulary's stream events: prices, order and account changes, and the stream's own state.

Every backend's stream yields exactly these. `StreamConnected`/`StreamDisconnected` are made by the
backend, never sent by a server: after `StreamConnected(reconnected=True)` the events between
`disconnected_at` and `connected_at` are missing (a backend also reports a server-side loss, such as
dropped frames, as such a gap), so the consumer reconciles through REST.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from fxbot.domain.broker.enums import OrderType
from fxbot.domain.broker.models import Account, Identified, Quote, UtcDatetime

OrderEventKind = Literal["order_opened", "order_filled", "order_modified", "order_closed", "order_cancelled"]
ORDER_EVENT_KINDS: frozenset[str] = frozenset(
    {"order_opened", "order_filled", "order_modified", "order_closed", "order_cancelled"}
)


class OrderEventData(Identified):
    """What an order event says; only `id` is always present (`model_fields_set` tells what was sent).

    `order_opened`: `status` `filled` (a market order; `position_id` the new position) or `pending`.
    `order_filled`: a pending order triggered. `order_closed`: `close_price`, `profit` (excluding
    `commission`/`swap` when those are given), `reason` (`sl`/`tp`/`stop_out`/`manual`) and, for a
    partial close, `remaining` lots.
    """

    symbol: str | None = None
    type: OrderType | None = None
    volume: float | None = None
    price: float | None = None
    status: str | None = None
    position_id: str | None = None
    sl: float | None = None
    tp: float | None = None
    close_price: float | None = None
    profit: float | None = None
    commission: float | None = None
    swap: float | None = None
    remaining: float | None = None
    reason: str | None = None
    account_id: str | None = None
    time: UtcDatetime | None = None


@dataclass(frozen=True, slots=True)
class QuoteEvent:
    """A new bid/ask for a subscribed symbol (`quote.spread` may be None)."""

    quote: Quote

    @property
    def account_id(self) -> str | None:
        """The account this price is for; None when it is the same for every account of the key."""
        return self.quote.account_id


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """A position or pending order changed; `account_id` None means the key's default account."""

    kind: OrderEventKind
    account_id: str | None
    data: OrderEventData


@dataclass(frozen=True, slots=True)
class AccountUpdateEvent:
    """The account's balance/equity/margin changed."""

    account_id: str
    account: Account


@dataclass(frozen=True, slots=True)
class SubscriptionEvent:
    """The server acknowledged a subscribe/unsubscribe (`channel`: `quotes`, `orders` or `account`)."""

    subscribed: bool
    channel: str
    symbols: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class StreamErrorEvent:
    """The server refused something (unknown symbol or account, ...); the stream stays open."""

    error: str
    message: str


@dataclass(frozen=True, slots=True)
class StreamConnected:
    """Made by the backend after each (re)connection, once subscriptions were (re)sent.

    On a reconnection (`reconnected=True`) events between `disconnected_at` and `connected_at` were
    not replayed: reconcile through REST (quotes, positions, history).
    """

    reconnected: bool
    disconnected_at: datetime | None
    connected_at: datetime


@dataclass(frozen=True, slots=True)
class StreamDisconnected:
    """Made by the backend when the connection is lost; it reconnects on its own."""

    at: datetime
    reason: str


StreamEvent = (
    QuoteEvent
    | OrderEvent
    | AccountUpdateEvent
    | SubscriptionEvent
    | StreamErrorEvent
    | StreamConnected
    | StreamDisconnected
)
