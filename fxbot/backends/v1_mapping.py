"""The one place `/v1` wire models, events and errors (fxbot.fxsocket) become broker-port types, and back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fxbot.domain.broker import errors as port_errors
from fxbot.domain.broker.enums import OrderType, Side, Timeframe
from fxbot.domain.broker.events import (
    AccountUpdateEvent,
    OrderEvent,
    OrderEventData,
    QuoteEvent,
    StreamConnected,
    StreamDisconnected,
    StreamErrorEvent,
    StreamEvent,
    SubscriptionEvent,
)
from fxbot.domain.broker.models import (
    Account,
    AccountSummary,
    Candle,
    CandleSeries,
    HistoryPage,
    PendingOrder,
    Position,
    Quote,
    Trade,
    copied,
)
from fxbot.domain.broker.orders import CloseResult, ModifyResult, OrderChanges, OrderRequest, OrderResult
from fxbot.domain.broker.ports import LostChannel
from fxbot.fxsocket import errors as wire_errors
from fxbot.fxsocket import events as wire_events
from fxbot.fxsocket import models as wire

# --- enumerations (same values on both sides; the port has two order types more)


def side(value: wire.Side) -> Side:
    return Side(value.value)


def order_type(value: wire.OrderType) -> OrderType:
    return OrderType(value.value)


def timeframe(value: wire.Timeframe) -> Timeframe:
    return Timeframe(value.value)


def wire_side(value: Side) -> wire.Side:
    return wire.Side(Side(value).value)


def wire_timeframe(value: Timeframe) -> wire.Timeframe:
    return wire.Timeframe(Timeframe(value).value)


def wire_order_type(value: OrderType) -> wire.OrderType:
    """The `/v1` order type; InvalidArgumentError for stop-limit types, which `/v1` does not have."""
    value = OrderType(value)
    if value.is_stop_limit:
        raise port_errors.InvalidArgumentError(
            f"{value.value} orders are not available through the FxSocket /v1 API — use a limit or stop order",
            code="unsupported_order_type")
    return wire.OrderType(value.value)


# --- REST models, wire -> port


def account(w: wire.Account) -> Account:
    return Account(id=w.id, balance=w.balance, equity=w.equity, margin=w.margin, free_margin=w.free_margin,
                   currency=w.currency, margin_level=w.margin_level, leverage=w.leverage, profit=w.profit)


def account_summary(w: wire.AccountSummary) -> AccountSummary:
    return AccountSummary(id=w.id, broker=w.broker, platform=w.platform, status=w.status, login=w.login,
                          name=w.name, currency=w.currency)


def position(w: wire.Position) -> Position:
    return Position(id=w.id, symbol=w.symbol, type=side(w.type), volume=w.volume, open_price=w.open_price,
                    sl=w.sl, tp=w.tp, profit=w.profit, order_id=w.order_id, current_price=w.current_price,
                    swap=w.swap, commission=w.commission, opened_at=w.opened_at)


def pending_order(w: wire.PendingOrder) -> PendingOrder:
    return PendingOrder(id=w.id, symbol=w.symbol, type=order_type(w.type), volume=w.volume, price=w.price,
                        sl=w.sl, tp=w.tp, status=w.status, created_at=w.created_at)


def order_result(w: wire.OrderResult) -> OrderResult:
    return OrderResult(id=w.id, symbol=w.symbol, type=order_type(w.type), volume=w.volume, price=w.price,
                       status=w.status, position_id=w.position_id, sl=w.sl, tp=w.tp, created_at=w.created_at)


def modify_result(w: wire.ModifyResult) -> ModifyResult:
    return ModifyResult(id=w.id, sl=w.sl, tp=w.tp, updated=w.updated, price=w.price)


def close_result(w: wire.CloseResult) -> CloseResult:
    return CloseResult(id=w.id, status=w.status, close_price=w.close_price, profit=w.profit, remaining=w.remaining)


def quote(w: wire.Quote) -> Quote:
    """`/v1` prices are the same for every account of a key: `account_id` stays None.

    Copied, not validated again: the wire Quote's fields have the port's types already (str, floats, an aware UTC
    time), and this runs for every quote frame of the stream (`tests/unit/backends/test_v1_quote_mapping.py` checks
    it equals the validated one)."""
    values = w.__dict__
    return copied(Quote, {**values, "account_id": None}, set(values))


def candle(w: wire.Candle) -> Candle:
    return Candle(time=w.time, open=w.open, high=w.high, low=w.low, close=w.close, volume=w.volume)


def candle_series(w: wire.CandleSeries) -> CandleSeries:
    return CandleSeries(symbol=w.symbol, timeframe=timeframe(w.timeframe), candles=[candle(c) for c in w.candles])


_SIDES = {wire.Side.BUY: Side.BUY, wire.Side.SELL: Side.SELL}
_TRADE_FIELDS = frozenset(Trade.model_fields)


def trade(w: wire.Trade) -> Trade:
    """The port's Trade from a validated wire Trade, without validating it a second time.

    Every field of the wire Trade already has the port's type and constraints (str, float, aware UTC datetimes,
    the same optional fields and defaults, a side of the same values), so the port's validation could only copy
    it — at about twice the cost of the wire validation, for each of the hundreds of trades a history page holds.
    The object is built as `Trade.model_construct` builds it (every field set, no extra or private values), without
    its per-field loop; `tests/unit/backends/test_v1_trade_mapping.py` checks it equals the validated one."""
    fields = dict(w.__dict__)
    fields["type"] = _SIDES[w.type]
    return copied(Trade, fields, set(_TRADE_FIELDS))


def history_page(w: wire.HistoryPage) -> HistoryPage:
    return HistoryPage(trades=[trade(t) for t in w.trades], total=w.total)


# --- requests, port -> wire


def wire_order_request(request: OrderRequest) -> wire.OrderRequest:
    """The `/v1` body of an order; InvalidArgumentError for what `/v1` cannot express (stop-limit)."""
    return wire.OrderRequest(symbol=request.symbol, type=wire_order_type(request.type), volume=request.volume,
                             price=request.price, sl=request.sl, tp=request.tp, comment=request.comment)


def wire_order_changes(changes: OrderChanges) -> wire.OrderChanges:
    """The `/v1` changes with the same fields given (an explicit None still clears a stop)."""
    return wire.OrderChanges.model_validate(changes.requested())


# --- stream events, wire -> port


def order_event_data(w: wire_events.OrderEventData) -> OrderEventData:
    """The event's data with exactly the fields the frame carried (`model_fields_set` is kept)."""
    values: dict[str, Any] = {name: getattr(w, name) for name in w.model_fields_set}
    if values.get("type") is not None:
        values["type"] = order_type(values["type"])
    return OrderEventData.model_validate(values)


def event(w: wire_events.StreamEvent) -> StreamEvent:
    """The port event of a `/v1` stream event; TypeError for a wire event this mapping does not know yet."""
    if isinstance(w, wire_events.QuoteEvent):
        return QuoteEvent(quote(w.quote))
    if isinstance(w, wire_events.OrderEvent):
        return OrderEvent(w.kind, w.account_id, order_event_data(w.data))
    if isinstance(w, wire_events.AccountUpdateEvent):
        return AccountUpdateEvent(w.account_id, account(w.account))
    if isinstance(w, wire_events.SubscriptionEvent):
        return SubscriptionEvent(w.subscribed, w.channel, w.symbols)
    if isinstance(w, wire_events.StreamErrorEvent):
        return StreamErrorEvent(w.error, w.message)
    if isinstance(w, wire_events.StreamConnected):
        return StreamConnected(w.reconnected, w.disconnected_at, w.connected_at)
    if isinstance(w, wire_events.StreamDisconnected):
        return StreamDisconnected(w.at, w.reason)
    raise TypeError(f"no broker-port event for the /v1 stream event {type(w).__name__}")


def lost_channel(frame_type: str) -> LostChannel:
    """The port channel whose event a malformed `/v1` frame lost (`account_update` -> account, else orders)."""
    return "account" if frame_type == "account_update" else "orders"


# --- errors, wire -> port


def is_disconnected_message(message: str) -> bool:
    """True when a `/v1` 400's message says the account is disconnected (the API has no code for it)."""
    return "disconnected" in message.lower()


def error(w: wire_errors.FxSocketError) -> port_errors.BrokerError:
    """The port error for a `/v1` client error (same message, code and status unless said otherwise)."""
    message, code, status = w.message, w.code, w.status
    if isinstance(w, wire_errors.InvalidArgumentError):
        return port_errors.InvalidArgumentError(message, code=code)
    if isinstance(w, wire_errors.OutcomeUnknownError):
        return port_errors.OutcomeUnknownError(message, code=code, status=status)
    if isinstance(w, wire_errors.ConnectionFailedError):
        return port_errors.UnreachableError(message, write=w.method.upper() != "GET", code=code)
    if isinstance(w, wire_errors.UnexpectedResponseError):
        return port_errors.UnexpectedResponseError(message, code=code, status=status)
    if isinstance(w, wire_errors.RateLimitedError):
        return port_errors.RateLimitedError(message, retry_after=w.retry_after, code=code, status=status)
    if isinstance(w, wire_errors.BadRequestError):
        if is_disconnected_message(message):
            return port_errors.AccountDisconnectedError(message, status=status)
        return port_errors.RejectedError(message, code=code, status=status)
    if isinstance(w, wire_errors.UnauthorizedError):
        return port_errors.KeyRefusedError(message, code=code, status=status)
    if isinstance(w, wire_errors.ForbiddenError):
        return port_errors.ScopeRefusedError(message, code=code, status=status)
    if isinstance(w, wire_errors.NotFoundError):
        return port_errors.NotFoundError(message, code=code, status=status)
    if isinstance(w, wire_errors.ServerError):
        return port_errors.ServerError(message, code=code, status=status)
    if isinstance(w, wire_errors.ApiError):
        if status == 402:
            return port_errors.BillingError(message, code=code, status=status)
        return port_errors.RejectedError(message, code=code, status=status)
    return port_errors.BrokerError(message, code=code, status=status)


@contextmanager
def port_errors_only() -> Iterator[None]:
    """Inside, any `/v1` client error leaves as its port error (chained, for the logs)."""
    try:
        yield
    except wire_errors.FxSocketError as exc:
        raise error(exc) from exc
