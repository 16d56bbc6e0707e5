"""The `/v1` mapping: every wire model, event and error becomes its broker-port twin, field for field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import BaseModel

from fxbot.backends import v1_mapping as mapping
from fxbot.domain import broker as port
from fxbot.fxsocket import errors as wire_errors
from fxbot.fxsocket import events as wire_events
from fxbot.fxsocket import models as wire

T0 = datetime(2026, 4, 2, 14, 30, tzinfo=UTC)
T1 = T0 + timedelta(hours=3)

W_ACCOUNT = wire.Account(id="acc_8xKm2", balance=10_000.0, equity=10_050.5, margin=108.34, free_margin=9_942.16,
                         currency="USD", margin_level=9277.4, leverage=100, profit=50.5)
W_SUMMARY = wire.AccountSummary(id="acc_8xKm2", broker="ICMarkets", platform="MT5", status="connected",
                                login=51234567, name="Main", currency="USD")
W_POSITION = wire.Position(id="pos_1", symbol="EURUSD", type=wire.Side.SELL, volume=0.3, open_price=1.0834,
                           sl=1.09, tp=1.07, profit=-12.5, order_id="ord_1", current_price=1.0840, swap=-0.4,
                           commission=-2.1, opened_at=T0)
W_PENDING = wire.PendingOrder(id="ord_2", symbol="XAUUSD", type=wire.OrderType.SELL_STOP, volume=0.05,
                              price=2300.5, sl=2310.0, tp=2280.0, status="pending", created_at=T0)
W_RESULT = wire.OrderResult(id="ord_3", symbol="EURUSD", type=wire.OrderType.BUY, volume=0.1, price=1.10002,
                            status="filled", position_id="pos_3", sl=1.09, tp=1.12, created_at=T0)
W_MODIFY = wire.ModifyResult(id="ord_3", sl=None, tp=1.13, updated=True, price=1.085)
W_CLOSE = wire.CloseResult(id="ord_3", status="partially_closed", close_price=1.101, profit=3.9, remaining=0.06)
W_QUOTE = wire.Quote(symbol="EURUSD", bid=1.0834, ask=1.08342, spread=0.2, time=T0)
W_CANDLE = wire.Candle(time=T0, open=1.08, high=1.09, low=1.07, close=1.085, volume=1234.0)
W_SERIES = wire.CandleSeries(symbol="EURUSD", timeframe=wire.Timeframe.MN, candles=[W_CANDLE, W_CANDLE])
W_TRADE = wire.Trade(id="trd_1", symbol="EURUSD", type=wire.Side.BUY, volume=0.1, profit=10.0, closed_at=T1,
                     commission=-0.7, swap=-0.1, open_price=1.08, close_price=1.081, opened_at=T0,
                     order_id="ord_1", position_id="pos_1", reason="tp")
W_PAGE = wire.HistoryPage(trades=[W_TRADE], total=7)

PAIRS: list[tuple[BaseModel, BaseModel]] = [
    (W_ACCOUNT, mapping.account(W_ACCOUNT)),
    (W_SUMMARY, mapping.account_summary(W_SUMMARY)),
    (W_POSITION, mapping.position(W_POSITION)),
    (W_PENDING, mapping.pending_order(W_PENDING)),
    (W_RESULT, mapping.order_result(W_RESULT)),
    (W_MODIFY, mapping.modify_result(W_MODIFY)),
    (W_CLOSE, mapping.close_result(W_CLOSE)),
    (W_QUOTE, mapping.quote(W_QUOTE)),
    (W_CANDLE, mapping.candle(W_CANDLE)),
    (W_SERIES, mapping.candle_series(W_SERIES)),
    (W_TRADE, mapping.trade(W_TRADE)),
    (W_PAGE, mapping.history_page(W_PAGE)),
]


def _ids(pairs: list[tuple[BaseModel, BaseModel]]) -> list[str]:
    return [type(w).__name__ for w, _ in pairs]


@pytest.mark.parametrize(("wire_model", "port_model"), PAIRS, ids=_ids(PAIRS))
def test_every_wire_field_arrives_with_the_same_name_and_value(wire_model: BaseModel, port_model: BaseModel) -> None:
    assert type(port_model).__name__ == type(wire_model).__name__
    assert type(port_model).__module__.startswith("fxbot.domain.broker")
    assert set(type(wire_model).model_fields) <= set(type(port_model).model_fields)
    wire_values = wire_model.model_dump(mode="json")
    port_values = port_model.model_dump(mode="json")
    assert {name: port_values[name] for name in wire_values} == wire_values


def test_fields_only_the_port_has_stay_unset() -> None:
    assert mapping.quote(W_QUOTE).account_id is None  # /v1 prices serve every account of the key
    assert mapping.account(W_ACCOUNT).credit is None
    assert mapping.account_summary(W_SUMMARY).status_detail is None
    assert mapping.pending_order(W_PENDING).stop_limit_price is None


def test_enums_become_port_enums() -> None:
    position, pending = mapping.position(W_POSITION), mapping.pending_order(W_PENDING)
    assert position.type is port.Side.SELL and pending.type is port.OrderType.SELL_STOP
    assert mapping.candle_series(W_SERIES).timeframe is port.Timeframe.MN
    assert [mapping.side(s) for s in wire.Side] == list(port.Side)
    assert [mapping.timeframe(t) for t in wire.Timeframe] == list(port.Timeframe)
    assert [mapping.order_type(t).value for t in wire.OrderType] == [t.value for t in wire.OrderType]
    assert [mapping.wire_side(s) for s in port.Side] == list(wire.Side)
    assert [mapping.wire_timeframe(t) for t in port.Timeframe] == list(wire.Timeframe)


def test_order_request_to_wire() -> None:
    request = port.OrderRequest(symbol="EURUSD", type=port.OrderType.BUY_LIMIT, volume=0.2, price=1.09, sl=1.08,
                                tp=1.1, comment="dip")
    body = mapping.wire_order_request(request)
    assert isinstance(body, wire.OrderRequest) and body.type is wire.OrderType.BUY_LIMIT
    assert body.to_body() == {"symbol": "EURUSD", "type": "BUY_LIMIT", "volume": 0.2, "price": 1.09, "sl": 1.08,
                              "tp": 1.1, "comment": "dip"}


@pytest.mark.parametrize("order_type", [port.OrderType.BUY_STOP_LIMIT, port.OrderType.SELL_STOP_LIMIT])
def test_stop_limit_orders_are_refused_before_sending(order_type: port.OrderType) -> None:
    request = port.OrderRequest(symbol="EURUSD", type=order_type, volume=0.1, price=1.1, stop_limit_price=1.09)
    with pytest.raises(port.InvalidArgumentError, match="not available through the FxSocket /v1 API") as info:
        mapping.wire_order_request(request)
    assert info.value.code == "unsupported_order_type"


@pytest.mark.parametrize(("changes", "body"), [
    (port.OrderChanges(), {}),
    (port.OrderChanges(sl=None), {"sl": None}),
    (port.OrderChanges(tp=1.13, price=1.085), {"tp": 1.13, "price": 1.085}),
])
def test_order_changes_to_wire_keep_explicit_clears(changes: port.OrderChanges, body: dict[str, Any]) -> None:
    assert mapping.wire_order_changes(changes).to_body() == body


# --- stream events

W_ORDER_DATA = wire_events.OrderEventData(id="ord_3", symbol="EURUSD", type=wire.OrderType.BUY, volume=0.1,
                                          price=1.1, status="filled", position_id="pos_3", sl=None, time=T0)
EVENTS: list[tuple[wire_events.StreamEvent, port.StreamEvent]] = [
    (wire_events.QuoteEvent(W_QUOTE), port.QuoteEvent(mapping.quote(W_QUOTE))),
    (wire_events.OrderEvent("order_opened", "acc_8xKm2", W_ORDER_DATA),
     port.OrderEvent("order_opened", "acc_8xKm2", port.OrderEventData(
         id="ord_3", symbol="EURUSD", type=port.OrderType.BUY, volume=0.1, price=1.1, status="filled",
         position_id="pos_3", sl=None, time=T0))),
    (wire_events.AccountUpdateEvent("acc_8xKm2", W_ACCOUNT),
     port.AccountUpdateEvent("acc_8xKm2", mapping.account(W_ACCOUNT))),
    (wire_events.SubscriptionEvent(True, "quotes", ("EURUSD", "XAUUSD")),
     port.SubscriptionEvent(True, "quotes", ("EURUSD", "XAUUSD"))),
    (wire_events.SubscriptionEvent(False, "orders"), port.SubscriptionEvent(False, "orders")),
    (wire_events.StreamErrorEvent("not_found", "unknown symbol NOPE"),
     port.StreamErrorEvent("not_found", "unknown symbol NOPE")),
    (wire_events.StreamConnected(reconnected=True, disconnected_at=T0, connected_at=T1),
     port.StreamConnected(reconnected=True, disconnected_at=T0, connected_at=T1)),
    (wire_events.StreamConnected(reconnected=False, disconnected_at=None, connected_at=T0),
     port.StreamConnected(reconnected=False, disconnected_at=None, connected_at=T0)),
    (wire_events.StreamDisconnected(at=T0, reason="connection closed (1012)"),
     port.StreamDisconnected(at=T0, reason="connection closed (1012)")),
]


@pytest.mark.parametrize(("wire_event", "port_event"), EVENTS, ids=[type(w).__name__ for w, _ in EVENTS])
def test_every_stream_event(wire_event: wire_events.StreamEvent, port_event: port.StreamEvent) -> None:
    mapped = mapping.event(wire_event)
    assert mapped == port_event and type(mapped) is type(port_event)


def test_order_event_data_keeps_exactly_the_fields_the_frame_carried() -> None:
    closed = wire_events.OrderEventData(id="ord_3", close_price=1.101, profit=-3.0, reason="sl", account_id="acc_2")
    data = mapping.order_event_data(closed)
    assert data.model_fields_set == closed.model_fields_set
    assert data.model_dump(exclude_none=True) == {"id": "ord_3", "close_price": 1.101, "profit": -3.0,
                                                  "reason": "sl", "account_id": "acc_2"}
    assert mapping.order_event_data(W_ORDER_DATA).type is port.OrderType.BUY


# --- errors

ERRORS: list[tuple[wire_errors.FxSocketError, type[port.BrokerError], str]] = [
    (wire_errors.InvalidArgumentError("nothing to change"), port.InvalidArgumentError, "invalid_argument"),
    (wire_errors.OutcomeUnknownError("timed out", method="POST", path="/v1/orders", status=500),
     port.OutcomeUnknownError, "outcome_unknown"),
    (wire_errors.ConnectionFailedError("down", method="GET", path="/v1/account"), port.UnreachableError,
     "connection_failed"),
    (wire_errors.UnexpectedResponseError("unexpected_response", "bad body"), port.UnexpectedResponseError,
     "unexpected_response"),
    (wire_errors.RateLimitedError("rate_limited", "slow down", retry_after=2.4), port.RateLimitedError,
     "rate_limited"),
    (wire_errors.BadRequestError("invalid_stops", "SL must be below the bid", status=400), port.RejectedError,
     "invalid_stops"),
    (wire_errors.BadRequestError("bad_request", "Account acc_2 is disconnected.", status=400),
     port.AccountDisconnectedError, "account_disconnected"),
    (wire_errors.UnauthorizedError("unauthorized", "unknown key", status=401), port.KeyRefusedError,
     "unauthorized"),
    (wire_errors.ForbiddenError("forbidden", "read-only key", status=403), port.ScopeRefusedError, "forbidden"),
    (wire_errors.NotFoundError("not_found", "order ord_1 not found", status=404), port.NotFoundError,
     "not_found"),
    (wire_errors.ServerError("internal_error", "boom", status=500), port.ServerError, "internal_error"),
    (wire_errors.ApiError("payment_required", "top up", status=402), port.BillingError, "payment_required"),
    (wire_errors.ApiError("conflict", "already closing", status=409), port.RejectedError, "conflict"),
    (wire_errors.FxSocketError("odd", "something else"), port.BrokerError, "odd"),
]


@pytest.mark.parametrize(("wire_error", "cls", "code"), ERRORS, ids=[type(w).__name__ + f"-{c}" for w, _, c in ERRORS])
def test_every_wire_error(wire_error: wire_errors.FxSocketError, cls: type[port.BrokerError], code: str) -> None:
    mapped = mapping.error(wire_error)
    assert type(mapped) is cls
    assert (mapped.code, mapped.message, mapped.status) == (code, wire_error.message, wire_error.status)


def test_error_details_carry_over() -> None:
    limited = mapping.error(wire_errors.RateLimitedError("rate_limited", "slow down", retry_after=2.4))
    assert isinstance(limited, port.RateLimitedError) and limited.retry_after == 2.4
    read = mapping.error(wire_errors.ConnectionFailedError("down", method="GET", path="/v1/account"))
    write = mapping.error(wire_errors.ConnectionFailedError("down", method="POST", path="/v1/orders"))
    assert isinstance(read, port.UnreachableError) and not read.write
    assert isinstance(write, port.UnreachableError) and write.write
    rejected = mapping.error(wire_errors.BadRequestError("market_closed", "The market is closed.", status=400))
    assert isinstance(rejected, port.RejectedError) and rejected.reason == "The market is closed."


def test_port_errors_only_translates_and_chains() -> None:
    original = wire_errors.ForbiddenError("forbidden", "read-only key", status=403)
    with pytest.raises(port.ScopeRefusedError) as info, mapping.port_errors_only():
        raise original
    assert info.value.__cause__ is original
    with pytest.raises(KeyError), mapping.port_errors_only():  # anything else passes untouched
        raise KeyError("x")


def test_an_unknown_wire_event_is_not_mistaken_for_another() -> None:
    with pytest.raises(TypeError, match="no broker-port event"):
        mapping.event(object())  # type: ignore[arg-type]


def test_a_malformed_frame_loses_an_event_of_its_port_channel() -> None:
    assert mapping.lost_channel("account_update") == "account"
    assert {mapping.lost_channel(kind) for kind in wire_events.ORDER_EVENT_KINDS} == {"orders"}
