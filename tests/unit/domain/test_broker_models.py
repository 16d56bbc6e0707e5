"""The broker port's value types: enumerations, immutability, UTC times, explicit changes and ticket ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from fxbot.domain.broker import (
    Account,
    OrderChanges,
    OrderEventData,
    OrderRequest,
    OrderResult,
    OrderType,
    Position,
    Quote,
    QuoteEvent,
    Side,
    Timeframe,
    Trade,
)

T0 = datetime(2026, 4, 2, 14, 30, tzinfo=UTC)


@pytest.mark.parametrize(("order_type", "side", "pending", "stop_limit"), [
    (OrderType.BUY, Side.BUY, False, False),
    (OrderType.SELL, Side.SELL, False, False),
    (OrderType.BUY_LIMIT, Side.BUY, True, False),
    (OrderType.SELL_LIMIT, Side.SELL, True, False),
    (OrderType.BUY_STOP, Side.BUY, True, False),
    (OrderType.SELL_STOP, Side.SELL, True, False),
    (OrderType.BUY_STOP_LIMIT, Side.BUY, True, True),
    (OrderType.SELL_STOP_LIMIT, Side.SELL, True, True),
])
def test_order_type_properties(order_type: OrderType, side: Side, pending: bool, stop_limit: bool) -> None:
    assert (order_type.side, order_type.is_pending, order_type.is_stop_limit) == (side, pending, stop_limit)


def test_every_order_type_is_covered() -> None:
    assert len(OrderType) == 8


def test_side_opposite_and_timeframes() -> None:
    assert (Side.BUY.opposite, Side.SELL.opposite) == (Side.SELL, Side.BUY)
    assert [t.value for t in Timeframe] == ["M1", "M5", "M15", "M30", "H1", "H4", "D1", "W1", "MN"]


def test_values_are_immutable_and_refuse_unknown_fields() -> None:
    account = Account(id="acc_1", balance=100, equity=100, margin=0, free_margin=100, currency="USD")
    with pytest.raises(ValidationError):
        account.balance = 5  # type: ignore[misc]
    with pytest.raises(ValidationError, match="stop_loss"):
        Position.model_validate({"id": "pos_1", "symbol": "EURUSD", "type": "BUY", "volume": 0.1,
                                 "open_price": 1.1, "profit": 0.0, "stop_loss": 1.0})


def test_times_are_aware_utc() -> None:
    naive = Quote(symbol="EURUSD", bid=1.1, ask=1.1002, time=datetime(2026, 4, 2, 14, 30))
    assert naive.time == T0 and naive.time.tzinfo is UTC
    plus_two = timezone(timedelta(hours=2))
    shifted = Trade(id="trd_1", symbol="EURUSD", type=Side.BUY, volume=0.1, profit=1.0,
                    closed_at=datetime(2026, 4, 2, 16, 30, tzinfo=plus_two))
    assert shifted.closed_at == T0 and shifted.closed_at.tzinfo is UTC


def test_order_changes_keep_what_was_given() -> None:
    assert OrderChanges().requested() == {}
    assert OrderChanges(sl=None).requested() == {"sl": None}
    assert OrderChanges(tp=1.12, price=1.09).requested() == {"tp": 1.12, "price": 1.09}


def test_order_request_carries_a_stop_limit_price() -> None:
    request = OrderRequest(symbol="EURUSD", type=OrderType.BUY_STOP_LIMIT, volume=0.1, price=1.1,
                           stop_limit_price=1.099)
    assert request.type.is_stop_limit and request.stop_limit_price == 1.099


def test_quote_account_is_optional_and_shown_by_its_event() -> None:
    shared = Quote(symbol="EURUSD", bid=1.1, ask=1.1002, time=T0)
    per_account = Quote(symbol="EURUSD", bid=1.1, ask=1.1003, time=T0, account_id="acc_2")
    assert QuoteEvent(shared).account_id is None
    assert QuoteEvent(per_account).account_id == "acc_2"


def test_ticket_ids_and_v1_ids_are_shown_as_people_know_them() -> None:
    ticket = OrderResult(id="12345678", symbol="EURUSD", type=OrderType.BUY, volume=0.1, price=1.1,
                         status="filled", position_id="12345678")
    v1 = Position(id="pos_8Kq", symbol="EURUSD", type=Side.BUY, volume=0.1, open_price=1.1, profit=0.0)
    assert (ticket.ticket, ticket.display_id) == (12345678, "#12345678")
    assert (v1.ticket, v1.display_id) == (None, "pos_8Kq")
    assert OrderEventData(id="42").display_id == "#42"


def test_order_event_data_remembers_which_fields_were_sent() -> None:
    data = OrderEventData(id="ord_1", sl=None, profit=2.5)
    assert data.model_fields_set == {"id", "sl", "profit"}
    assert data.model_dump(exclude_none=True) == {"id": "ord_1", "profit": 2.5}
