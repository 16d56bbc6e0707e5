"""Stream frames decode into typed events; unknown or malformed frames are skipped, never raised."""

from __future__ import annotations

import json

import pytest

from fxbot.fxsocket.events import (
    AccountUpdateEvent,
    OrderEvent,
    QuoteEvent,
    StreamErrorEvent,
    SubscriptionEvent,
)
from fxbot.fxsocket.frames import decode_frame
from fxbot.fxsocket.models import OrderType


def frame(kind: str, data: object) -> str:
    return json.dumps({"type": kind, "data": data})


def test_reference_quote_frame() -> None:
    event = decode_frame(frame("quote", {"symbol": "EURUSD", "bid": 1.08340, "ask": 1.08342,
                                         "time": "2026-04-02T14:30:00.123Z"}))
    assert isinstance(event, QuoteEvent)
    assert event.quote.symbol == "EURUSD" and event.quote.spread is None


def test_reference_order_opened_frame() -> None:
    event = decode_frame(frame("order_opened", {"id": "ord_2aF9xK", "symbol": "EURUSD", "type": "BUY",
                                                "volume": 0.1, "price": 1.08342, "account_id": "acc_1",
                                                "surprise": True}))
    assert isinstance(event, OrderEvent)
    assert (event.kind, event.account_id, event.data.type) == ("order_opened", "acc_1", OrderType.BUY)


def test_order_modified_keeps_explicit_null() -> None:
    event = decode_frame(frame("order_modified", {"id": "ord_1", "sl": None, "tp": 1.2}))
    assert isinstance(event, OrderEvent)
    assert "sl" in event.data.model_fields_set and event.data.sl is None
    assert "price" not in event.data.model_fields_set


def test_account_update_and_acks_and_errors() -> None:
    account = {"id": "acc_1", "balance": 1, "equity": 2, "margin": 0, "free_margin": 2, "currency": "USD",
               "margin_level": None, "account_id": "acc_1"}
    update = decode_frame(frame("account_update", account))
    assert isinstance(update, AccountUpdateEvent)
    assert update.account_id == "acc_1" and update.account.equity == 2
    ack = decode_frame(frame("subscribed", {"channel": "quotes", "symbols": ["EURUSD"]}))
    assert ack == SubscriptionEvent(True, "quotes", ("EURUSD",))
    gone = decode_frame(frame("unsubscribed", {"channel": "quotes", "symbols": ["EURUSD"]}))
    assert isinstance(gone, SubscriptionEvent) and not gone.subscribed
    error = decode_frame(frame("error", {"error": "invalid_symbol", "message": "unknown symbol FOO"}))
    assert error == StreamErrorEvent("invalid_symbol", "unknown symbol FOO")


@pytest.mark.parametrize("raw", [
    "not json", "[1,2]", '{"type": 5}', '{"type": "quote", "data": []}', frame("quote", {"symbol": "EURUSD"}),
    frame("order_closed", {"symbol": "EURUSD"}), frame("brand_new_type", {"x": 1}), b"\x00\x01",
    frame("quote", {"symbol": "EURUSD", "bid": "lots", "ask": 1, "time": "2026-04-02T14:30:00Z"}),
])
def test_unknown_or_malformed_frames_are_skipped(raw: str | bytes) -> None:
    assert decode_frame(raw) is None
