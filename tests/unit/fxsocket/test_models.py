"""The FxSocket models parse the reference examples, ignore unknown fields and serialise requests exactly."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from fxbot.fxsocket.models import (
    Account,
    AccountSummary,
    CandleSeries,
    CloseResult,
    HistoryPage,
    ModifyResult,
    OrderChanges,
    OrderRequest,
    OrderResult,
    OrderType,
    PendingOrder,
    Position,
    Quote,
    Side,
    Timeframe,
)


def test_reference_account() -> None:
    account = Account.model_validate({"id": "acc_8xKm2", "balance": 10000.00, "equity": 10234.50,
                                      "margin": 120.40, "free_margin": 10114.10, "currency": "USD",
                                      "brand_new_field": {"x": 1}})
    assert account.free_margin == 10114.10
    assert account.margin_level is None and account.leverage is None and account.profit is None


def test_reference_accounts_list_and_extras() -> None:
    summary = AccountSummary.model_validate(
        {"id": "acc_8xKm2", "broker": "ICMarkets", "platform": "MT5", "status": "connected", "login": 5512,
         "name": "Main", "currency": "USD"})
    assert (summary.platform, summary.login, summary.currency) == ("MT5", 5512, "USD")


def test_reference_position_without_extras() -> None:
    position = Position.model_validate({"id": "pos_3nF8x", "symbol": "EURUSD", "type": "BUY", "volume": 0.1,
                                        "open_price": 1.08342, "sl": 1.0800, "tp": 1.0900, "profit": 23.50})
    assert position.type is Side.BUY
    assert position.order_id is None and position.opened_at is None


def test_position_times_are_aware_utc() -> None:
    position = Position.model_validate({"id": "pos_1", "symbol": "EURUSD", "type": "SELL", "volume": 1,
                                        "open_price": 1.1, "sl": None, "tp": None, "profit": -3,
                                        "opened_at": "2026-04-02T14:30:00.123Z"})
    assert position.opened_at == datetime(2026, 4, 2, 14, 30, 0, 123000, tzinfo=UTC)
    assert position.opened_at.utcoffset() is not None


def test_reference_order_result_and_pending_order() -> None:
    result = OrderResult.model_validate({"id": "ord_2aF9xK", "symbol": "EURUSD", "type": "BUY", "volume": 0.1,
                                         "price": 1.08342, "status": "filled"})
    assert result.type is OrderType.BUY and result.position_id is None
    pending = PendingOrder.model_validate({"id": "ord_1", "symbol": "EURUSD", "type": "BUY_LIMIT",
                                           "volume": 1, "price": 1.07, "sl": None, "tp": None,
                                           "status": "pending",
                                           "created_at": "2026-04-02T14:30:00Z"})
    assert pending.type.is_pending and pending.type.side is Side.BUY


def test_reference_modify_close_quote_candles_history() -> None:
    modified = ModifyResult.model_validate({"id": "ord_2aF9xK", "sl": 1.0720, "tp": 1.0950, "updated": True})
    assert modified.updated and modified.price is None
    closed = CloseResult.model_validate({"id": "ord_2aF9xK", "status": "closed", "close_price": 1.08501,
                                         "profit": 15.90})
    assert closed.remaining is None and closed.profit == 15.90
    assert CloseResult.model_validate({"id": "ord_1", "status": "cancelled"}).close_price is None
    quote = Quote.model_validate({"symbol": "EURUSD", "bid": 1.08340, "ask": 1.08342, "spread": 0.2,
                                  "time": "2026-04-02T14:30:00.123Z"})
    assert quote.spread == 0.2 and quote.time.tzinfo is not None
    series = CandleSeries.model_validate({"symbol": "EURUSD", "timeframe": "H1", "candles": [
        {"time": "2026-04-02T14:00:00Z", "open": 1.0830, "high": 1.0841, "low": 1.0828, "close": 1.0834,
         "volume": 1243}]})
    assert series.timeframe is Timeframe.H1 and series.candles[0].volume == 1243
    page = HistoryPage.model_validate({"trades": [{"id": "trd_x9Km3", "symbol": "XAUUSD", "type": "BUY",
                                                   "volume": 0.05, "profit": 45.20,
                                                   "closed_at": "2026-04-02T14:30:00Z"}], "total": 142})
    assert page.total == 142 and page.trades[0].commission == 0 and page.trades[0].swap == 0


def test_missing_required_field_is_rejected() -> None:
    with pytest.raises(ValidationError):
        Quote.model_validate({"symbol": "EURUSD", "bid": 1.0})


@pytest.mark.parametrize(("order_type", "side", "pending"), [
    (OrderType.BUY, Side.BUY, False), (OrderType.SELL, Side.SELL, False),
    (OrderType.BUY_LIMIT, Side.BUY, True), (OrderType.SELL_LIMIT, Side.SELL, True),
    (OrderType.BUY_STOP, Side.BUY, True), (OrderType.SELL_STOP, Side.SELL, True),
])
def test_order_type_side_and_pending(order_type: OrderType, side: Side, pending: bool) -> None:
    assert order_type.side is side
    assert order_type.is_pending is pending


def test_order_changes_distinguish_unset_from_null() -> None:
    assert OrderChanges().to_body() == {}
    assert OrderChanges(sl=None).to_body() == {"sl": None}
    assert OrderChanges(tp=1.2, price=1.1).to_body() == {"tp": 1.2, "price": 1.1}


def test_order_request_body_leaves_out_unset_fields() -> None:
    body = OrderRequest(symbol="EURUSD", type=OrderType.BUY, volume=0.1, sl=1.07).to_body()
    assert body == {"symbol": "EURUSD", "type": "BUY", "volume": 0.1, "sl": 1.07}
