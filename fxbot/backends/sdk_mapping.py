"""The one place the official SDK's wire models become broker-port types (and port requests become SDK calls).

Conventions of the terminal API handled here: integer tickets become ids (`ticket_id`, the decimal
ticket); broker symbol names become canonical symbols (`SymbolMap`); broker server time becomes UTC
(`BrokerClock`); SL/TP `0.0` means none; volumes are lots on both sides; operations are PascalCase
(`BuyStopLimit`). History assembly from deals lives in `sdk_history`, order events in `sdk_events`.
"""

from __future__ import annotations

from typing import Literal

import fxsocket
from fxsocket import models as wire

from fxbot.backends.sdk_errors import retcode_code
from fxbot.backends.sdk_symbols import SymbolMap, pip_size, trade_mode
from fxbot.backends.sdk_time import BrokerClock
from fxbot.domain.broker.capabilities import CloseAllResult, ClosedItem, MarginEstimate, TerminalStatus
from fxbot.domain.broker.enums import OrderType, Side, Timeframe
from fxbot.domain.broker.errors import NotFoundError
from fxbot.domain.broker.models import Account, AccountSummary, Candle, PendingOrder, Position, Quote
from fxbot.domain.broker.symbols import SymbolSpec
from fxbot.domain.broker.tickets import ticket_id, ticket_of
from fxbot.domain.instruments import INSTRUMENTS

# --- vocabulary

_OPERATIONS: dict[OrderType, str] = {
    OrderType.BUY: "Buy", OrderType.SELL: "Sell", OrderType.BUY_LIMIT: "BuyLimit", OrderType.SELL_LIMIT: "SellLimit",
    OrderType.BUY_STOP: "BuyStop", OrderType.SELL_STOP: "SellStop", OrderType.BUY_STOP_LIMIT: "BuyStopLimit",
    OrderType.SELL_STOP_LIMIT: "SellStopLimit",
}
_TYPES: dict[str, OrderType] = {operation.lower(): type_ for type_, operation in _OPERATIONS.items()}
_TIMEFRAMES: dict[Timeframe, str] = {tf: ("MN1" if tf is Timeframe.MN else tf.value) for tf in Timeframe}


def operation(value: OrderType) -> str:
    """The terminal's operation name of an order type (`BUY_STOP_LIMIT` -> `BuyStopLimit`)."""
    return _OPERATIONS[OrderType(value)]


def order_type(value: str) -> OrderType:
    """The order type of a terminal type/operation (`BuyLimit`, `buy_limit`, `BUY-LIMIT`); ValueError if unknown."""
    found = _TYPES.get("".join(ch for ch in value.lower() if ch.isalnum()))
    if found is None:
        raise ValueError(f"unknown MetaTrader order type {value!r}")
    return found


def side(value: str) -> Side:
    """The direction of a terminal type (`Buy`, `SellStop`, …)."""
    return Side.BUY if value.strip().lower().startswith("buy") else Side.SELL


def market_type(direction: Side) -> OrderType:
    return OrderType.BUY if direction is Side.BUY else OrderType.SELL


def timeframe(value: Timeframe) -> str:
    """The terminal's timeframe label (`MN` is `MN1` there)."""
    return _TIMEFRAMES[Timeframe(value)]


def level(value: float) -> float | None:
    """SL/TP as the port has them: None for the terminal's 0.0 (no level)."""
    return None if value == 0 else value


def ticket(order_id: str) -> int:
    """The MetaTrader ticket an id names; NotFoundError for an id that is not a ticket (e.g. a `/v1` id)."""
    found = ticket_of(order_id.strip().lstrip("#"))
    if found is None:
        raise NotFoundError(f"{order_id!r} is not a MetaTrader ticket (a number such as 12345678)")
    return found


# --- account


def account(summary: wire.AccountSummary, account_id: str) -> Account:
    return Account(
        id=account_id, balance=summary.balance, equity=summary.equity, margin=summary.margin,
        free_margin=summary.free_margin, currency=summary.currency,
        margin_level=summary.margin_level if summary.margin > 0 else None, leverage=summary.leverage,
        profit=summary.profit, credit=summary.credit,
    )


def account_summary(item: fxsocket.Account) -> AccountSummary:
    """A listed account; an account without a terminal URL yet is `connecting`."""
    status = item.status.value
    if not item.rest_url and status == "connected":
        status = "connecting"
    return AccountSummary(
        id=item.id, broker=item.server, platform=item.platform.value.upper(), status=status, login=item.login,
        name=item.nickname or None, currency=None, status_detail=item.error or None,
    )


# --- open positions and orders


def is_position(row: wire.OpenedOrder) -> bool:
    return row.kind.strip().lower() == "position"


def position(row: wire.OpenedOrder, symbols: SymbolMap, clock: BrokerClock) -> Position:
    return Position(
        id=ticket_id(row.ticket), symbol=symbols.canonical(row.symbol), type=side(row.type), volume=row.lots,
        open_price=row.open_price, sl=level(row.stop_loss), tp=level(row.take_profit), profit=row.profit,
        order_id=ticket_id(row.ticket), current_price=row.current_price, swap=row.swap,
        opened_at=clock.parse(row.open_time),
    )


def pending_order(row: wire.OpenedOrder, symbols: SymbolMap, clock: BrokerClock) -> PendingOrder:
    """A pending order; the limit price of a stop-limit order is not on the wire (None)."""
    return PendingOrder(
        id=ticket_id(row.ticket), symbol=symbols.canonical(row.symbol), type=order_type(row.type), volume=row.lots,
        price=row.open_price, sl=level(row.stop_loss), tp=level(row.take_profit), status="pending",
        created_at=clock.parse(row.open_time),
    )


# --- market data


def quote(tick: wire.Quote, symbols: SymbolMap, clock: BrokerClock, account_id: str,
          spec: SymbolSpec | None = None) -> Quote:
    """A price of one account's broker; spread in pips (from the instrument table or the symbol's spec)."""
    canonical = symbols.canonical(tick.symbol)
    known = INSTRUMENTS.get(canonical)
    pip = spec.pip_size if spec is not None else (known.pip_size if known is not None else None)
    spread = round((tick.ask - tick.bid) / pip, 1) if pip else None
    return Quote(symbol=canonical, bid=tick.bid, ask=tick.ask, spread=spread, time=clock.parse(tick.time),
                 account_id=account_id)


def candle(bar: wire.Candle, clock: BrokerClock) -> Candle:
    return Candle(time=clock.parse(bar.time), open=bar.open, high=bar.high, low=bar.low, close=bar.close,
                  volume=float(bar.tick_volume))


def symbol_spec(info: wire.SymbolInfo, canonical: str) -> SymbolSpec:
    return SymbolSpec(
        symbol=canonical, broker_symbol=info.symbol, digits=info.digits, point=info.point,
        pip_size=pip_size(canonical, info.digits, info.point), volume_min=info.volume_min,
        volume_step=info.volume_step, volume_max=info.volume_max, trade_mode=trade_mode(info.trade_mode),
        description=info.description or None, contract_size=info.contract_size or None,
        stops_level_points=info.stops_level, currency_base=info.currency_base or None,
        currency_profit=info.currency_profit or None, currency_margin=info.currency_margin or None,
    )


def margin_estimate(calc: wire.MarginCalc, symbol: str, type_: OrderType) -> MarginEstimate:
    return MarginEstimate(symbol=symbol, type=type_, volume=calc.volume, price=calc.price, margin=calc.margin,
                          currency=calc.currency)


# --- terminal health and close-all


def terminal_status(health: wire.Health, account_id: str, clock: BrokerClock | None) -> TerminalStatus:
    age = health.bridge.trade_ea_heartbeat_age_ms
    server_time = None
    if clock is not None and health.server_time:
        try:
            server_time = clock.parse(health.server_time)
        except ValueError:
            server_time = None
    return TerminalStatus(
        account_id=account_id, status=health.status, terminal_alive=health.terminal.alive,
        broker_connected=health.broker.connected, logged_in=health.account.logged_in,
        trade_allowed=health.account.trade_allowed, trade_ea_ready=health.bridge.trade_ea_ready,
        broker_server=health.broker.server or None, ea_heartbeat_age_s=None if age < 0 else age / 1000.0,
        ping_ms=health.terminal.ping_ms or None, terminal_build=health.terminal.build or None,
        bridge_version=health.bridge.version or None, server_time=server_time,
    )


def close_all_result(summary: wire.CloseAllSummary) -> CloseAllResult:
    items = []
    for row in summary.results:
        kind: Literal["position", "pending"] = "pending" if row.is_pending else "position"
        items.append(ClosedItem(
            id=ticket_id(row.ticket), kind=kind, closed=row.success,
            code=None if row.success else retcode_code(row.retcode),
            reason=None if row.success else (row.retcode_description or None),
        ))
    return CloseAllResult(requested=summary.requested, closed=summary.closed, failed=summary.failed, items=items)
