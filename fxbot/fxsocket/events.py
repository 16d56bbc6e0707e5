"""Typed events yielded by the FxSocket stream, server-sent and client-made (connected/disconnected)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from fxbot.fxsocket.models import Account, OrderType, Quote, UtcDatetime, WireModel

OrderEventKind = Literal["order_opened", "order_filled", "order_modified", "order_closed", "order_cancelled"]
ORDER_EVENT_KINDS: frozenset[str] = frozenset(
    {"order_opened", "order_filled", "order_modified", "order_closed", "order_cancelled"}
)


class OrderEventData(WireModel):
    """The `data` of an order event; only `id` is always present (check `model_fields_set` for others)."""

    id: str
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
    reason: str | None = None
    account_id: str | None = None
    time: UtcDatetime | None = None


@dataclass(frozen=True, slots=True)
class QuoteEvent:
    """A `quote` frame: a new bid/ask for a subscribed symbol (`quote.spread` may be None)."""

    quote: Quote


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """An `order_*` frame; `kind` is the frame type."""

    kind: OrderEventKind
    account_id: str | None
    data: OrderEventData


@dataclass(frozen=True, slots=True)
class AccountUpdateEvent:
    """An `account_update` frame: the account's balance/equity/margin changed."""

    account_id: str
    account: Account


@dataclass(frozen=True, slots=True)
class SubscriptionEvent:
    """A `subscribed` / `unsubscribed` acknowledgement."""

    subscribed: bool
    channel: str
    symbols: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class StreamErrorEvent:
    """An `error` frame (unknown channel or symbol, ...); the connection stays open."""

    error: str
    message: str


@dataclass(frozen=True, slots=True)
class StreamConnected:
    """Made by the client after each (re)connection, once subscriptions were (re)sent.

    On a reconnection (`reconnected=True`) events between `disconnected_at` and `connected_at` were
    not replayed: reconcile through REST (quotes, positions, history).
    """

    reconnected: bool
    disconnected_at: datetime | None
    connected_at: datetime


@dataclass(frozen=True, slots=True)
class StreamDisconnected:
    """Made by the client when the connection is lost; it reconnects on its own."""

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
