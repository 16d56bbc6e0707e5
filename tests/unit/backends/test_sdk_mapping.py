"""Terminal and management wire payloads (hand-written, as the SDK parses them) as port types: tickets as ids, broker
symbols as canonical ones, broker time as UTC, 0.0 stops as none."""

from __future__ import annotations

from datetime import UTC, datetime

import fxsocket
import pytest
from fxsocket import models as wire

from fxbot.backends import sdk_mapping as mapping
from fxbot.backends.sdk_symbols import SymbolMap
from fxbot.backends.sdk_time import BrokerClock
from fxbot.domain.broker import NotFoundError, OrderType, Side, Timeframe

CLOCK_UTC3 = BrokerClock(3 * 3600, datetime(2026, 7, 15, tzinfo=UTC))
SYMBOLS = SymbolMap.build(["EURUSDm", "GOLD", "US30"])


def opened(**changes: object) -> wire.OpenedOrder:
    payload: dict[str, object] = {
        "ticket": 50000001, "symbol": "EURUSDm", "type": "Sell", "kind": "Position", "lots": 0.3, "openPrice": 1.0834,
        "currentPrice": 1.084, "stopLoss": 1.09, "takeProfit": 0.0, "swap": -0.4, "profit": -18.0, "magic": 0,
        "comment": "", "openTime": "2026-07-15T15:30:00.000Z",
    }
    payload.update(changes)
    return wire.OpenedOrder.model_validate(payload)


def test_a_position() -> None:
    position = mapping.position(opened(), SYMBOLS, CLOCK_UTC3)
    assert position.model_dump() == {
        "id": "50000001", "symbol": "EURUSD", "type": Side.SELL, "volume": 0.3, "open_price": 1.0834, "sl": 1.09,
        "tp": None, "profit": -18.0, "order_id": "50000001", "current_price": 1.084, "swap": -0.4,
        "commission": None, "opened_at": datetime(2026, 7, 15, 12, 30, tzinfo=UTC),
    }
    assert position.ticket == 50000001 and position.display_id == "#50000001"


@pytest.mark.parametrize("wire_type, port_type", [
    ("BuyLimit", OrderType.BUY_LIMIT), ("SellStop", OrderType.SELL_STOP), ("BuyStopLimit", OrderType.BUY_STOP_LIMIT),
    ("SellStopLimit", OrderType.SELL_STOP_LIMIT), ("SellLimit", OrderType.SELL_LIMIT), ("BuyStop", OrderType.BUY_STOP),
])
def test_pending_orders_of_every_type_including_stop_limit(wire_type: str, port_type: OrderType) -> None:
    order = mapping.pending_order(opened(type=wire_type, kind="Pending", symbol="GOLD", openPrice=2300.5),
                                  SYMBOLS, CLOCK_UTC3)
    assert (order.id, order.type, order.symbol, order.price, order.status) == (
        "50000001", port_type, "XAUUSD", 2300.5, "pending")
    assert mapping.operation(port_type) == wire_type and mapping.order_type(wire_type) is port_type


def test_an_unknown_order_type_is_refused() -> None:
    with pytest.raises(ValueError, match="FillOrKill"):
        mapping.order_type("FillOrKill")


def test_the_account_money_and_the_listing() -> None:
    summary = wire.AccountSummary.model_validate({
        "balance": 10000.0, "credit": 50.0, "profit": 12.5, "equity": 10062.5, "margin": 0.0, "freeMargin": 10062.5,
        "marginLevel": 0.0, "leverage": 500, "currency": "EUR", "type": "Demo",
    })
    account = mapping.account(summary, "acc_1")
    assert (account.id, account.free_margin, account.margin_level, account.credit) == ("acc_1", 10062.5, None, 50.0)
    listed = fxsocket.Account.model_validate({
        "id": "d04096e8", "nickname": "", "platform": "mt4", "server": "ICMarkets-Demo", "login": 51234567,
        "status": "error", "error": "invalid password", "rest_url": "", "ws_url": "",
        "created_at": "2026-06-22T16:53:56Z",
    })
    summary_row = mapping.account_summary(listed)
    assert (summary_row.platform, summary_row.broker, summary_row.status, summary_row.status_detail) == (
        "MT4", "ICMarkets-Demo", "error", "invalid password")
    assert summary_row.name is None and summary_row.currency is None
    connecting = mapping.account_summary(listed.model_copy(update={"status": fxsocket.TradingStatus.CONNECTED}))
    assert connecting.status == "connecting"  # no terminal URL yet


def test_a_quote_with_its_spread_in_pips_and_its_account() -> None:
    tick = wire.Quote.model_validate({"symbol": "EURUSDm", "bid": 1.0834, "ask": 1.08342,
                                      "time": "2026-07-15T15:30:00.250Z", "last": 0.0, "volume": 0})
    quote = mapping.quote(tick, SYMBOLS, CLOCK_UTC3, "acc_1")
    assert (quote.symbol, quote.spread, quote.account_id) == ("EURUSD", 0.2, "acc_1")
    assert quote.time == datetime(2026, 7, 15, 12, 30, 0, 250000, tzinfo=UTC)
    index = mapping.quote(tick.model_copy(update={"symbol": "US30"}), SYMBOLS, CLOCK_UTC3, "acc_1")
    assert index.symbol == "US30" and index.spread is None  # no pip size known without its spec


def test_candles_symbol_specs_and_timeframes() -> None:
    bar = wire.Candle.model_validate({"time": "2026-07-15T00:00:00Z", "open": 1.0, "high": 1.2, "low": 0.9,
                                      "close": 1.1, "tickVolume": 1234, "realVolume": 0, "spread": 2})
    candle = mapping.candle(bar, CLOCK_UTC3)
    assert candle.time == datetime(2026, 7, 14, 21, 0, tzinfo=UTC) and candle.volume == 1234.0
    assert mapping.timeframe(Timeframe.MN) == "MN1" and mapping.timeframe(Timeframe.H4) == "H4"
    info = wire.SymbolInfo.model_validate({
        "symbol": "GOLD", "description": "Gold vs USD", "digits": 2, "point": 0.01, "tickSize": 0.01,
        "tickValue": 1.0, "contractSize": 100.0, "volumeMin": 0.01, "volumeMax": 50.0, "volumeStep": 0.01,
        "stopsLevel": 10, "freezeLevel": 0, "spread": 20, "tradeMode": "CloseOnly", "swapLong": -5.0,
        "swapShort": 1.0, "bid": 2300.0, "ask": 2300.2, "currencyBase": "XAU", "currencyProfit": "USD",
        "currencyMargin": "XAU",
    })
    spec = mapping.symbol_spec(info, "XAUUSD")
    assert (spec.symbol, spec.broker_symbol, spec.pip_size, spec.trade_mode, spec.stops_level_points) == (
        "XAUUSD", "GOLD", 0.1, "close_only", 10)
    assert not spec.tradable and spec.allows_volume(0.05) and not spec.allows_volume(0.055)
    assert not spec.allows_volume(60) and not spec.allows_volume(0.001)


@pytest.mark.parametrize("text, ticket", [("50000001", 50000001), ("#50000001", 50000001), (" 12 ", 12)])
def test_ids_name_tickets(text: str, ticket: int) -> None:
    assert mapping.ticket(text) == ticket


@pytest.mark.parametrize("text", ["pos_8Kq", "0", "-5", "012", "ticket"])
def test_an_id_that_is_no_ticket_is_not_found(text: str) -> None:
    with pytest.raises(NotFoundError):
        mapping.ticket(text)


def test_terminal_health_and_close_all() -> None:
    health = wire.Health.model_validate({
        "status": "degraded", "terminal": {"alive": True, "build": 4755, "pingMs": 12},
        "broker": {"connected": False, "server": "ICMarkets"}, "account": {"loggedIn": True},
        "bridge": {"version": "0.14.0", "tradeEaReady": True, "tradeEaHeartbeatAgeMs": 125000},
        "serverTime": "2026-07-15T15:30:00Z",
    })
    status = mapping.terminal_status(health, "acc_1", CLOCK_UTC3)
    assert (status.status, status.broker_connected, status.ea_heartbeat_age_s, status.ready) == (
        "degraded", False, 125.0, False)
    assert status.server_time == datetime(2026, 7, 15, 12, 30, tzinfo=UTC)
    never = wire.Health.model_validate({**health.model_dump(by_alias=True),
                                        "bridge": {"tradeEaHeartbeatAgeMs": -1}})
    assert mapping.terminal_status(never, "acc_1", None).ea_heartbeat_age_s is None
    summary = wire.CloseAllSummary.model_validate({"requested": 2, "closed": 1, "failed": 1, "results": [
        {"ticket": 1, "kind": "position", "success": True, "retcode": 10009, "retcodeDescription": "done"},
        {"ticket": 2, "kind": "pending", "success": False, "retcode": 10018, "retcodeDescription": "Market closed"},
    ]})
    result = mapping.close_all_result(summary)
    assert [(i.id, i.kind, i.closed, i.code) for i in result.items] == [
        ("1", "position", True, None), ("2", "pending", False, "market_closed")]
