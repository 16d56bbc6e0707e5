"""Terminal JSON of the SDK face (camelCase, broker time, integer tickets) built from the engine's own records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fxbot.domain.instruments import InstrumentSpec
from fxbot.simulator.orders import lots
from fxbot.simulator.sdk_deals import Deal, RoundTrip
from fxbot.simulator.sdk_stoplimit import StopLimitOrder
from fxbot.simulator.sdk_time import BrokerClock
from fxbot.simulator.swap import SWAP_POINTS

OPERATION_BY_TYPE = {
    "BUY": "Buy",
    "SELL": "Sell",
    "BUY_LIMIT": "BuyLimit",
    "SELL_LIMIT": "SellLimit",
    "BUY_STOP": "BuyStop",
    "SELL_STOP": "SellStop",
}
TYPE_BY_OPERATION = {operation: type_ for type_, operation in OPERATION_BY_TYPE.items()}
STOP_LIMIT_OPERATIONS = ("BuyStopLimit", "SellStopLimit")
OPERATIONS = (*TYPE_BY_OPERATION, *STOP_LIMIT_OPERATIONS)
_BY_NORMALISED = {operation.lower(): operation for operation in OPERATIONS}
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY")


def parse_operation(value: object) -> str | None:
    """The canonical operation (`BuyLimit`) of a case- and separator-insensitive spelling, or None."""
    if not isinstance(value, str):
        return None
    return _BY_NORMALISED.get("".join(ch for ch in value.lower() if ch.isalnum()))


def side_name(side: str) -> str:
    """BUY -> Buy, SELL -> Sell."""
    return "Buy" if side.upper().startswith("BUY") else "Sell"


def utc_of(wire_time: str) -> datetime:
    """A /v1 wire time (UTC, `Z`) as an aware datetime."""
    return datetime.fromisoformat(wire_time[:-1] + "+00:00" if wire_time.endswith("Z") else wire_time)


def _level(value: object) -> float:
    """SL/TP as the terminal shows it: 0.0 when none."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def account_summary(snapshot: dict[str, Any]) -> dict[str, Any]:
    """AccountSummary from the engine's account snapshot."""
    level = snapshot.get("margin_level")
    return {
        "balance": snapshot["balance"],
        "credit": 0.0,
        "profit": snapshot["profit"],
        "equity": snapshot["equity"],
        "margin": snapshot["margin"],
        "freeMargin": snapshot["free_margin"],
        "marginLevel": 0.0 if level is None else level,
        "leverage": snapshot["leverage"],
        "currency": snapshot["currency"],
        "type": "Demo",
    }


def opened_position(
    position: dict[str, Any], ticket: int, magic: int, name: str, clock: BrokerClock
) -> dict[str, Any]:
    """OpenedOrder of kind Position from a /v1 position record."""
    return {
        "ticket": ticket,
        "symbol": name,
        "type": side_name(position["type"]),
        "kind": "Position",
        "lots": position["volume"],
        "openPrice": position["open_price"],
        "currentPrice": position["current_price"],
        "stopLoss": _level(position["sl"]),
        "takeProfit": _level(position["tp"]),
        "swap": position["swap"],
        "profit": position["profit"],
        "magic": magic,
        "comment": position.get("comment") or "",
        "openTime": clock.render(utc_of(position["opened_at"])),
    }


def opened_pending(
    order: dict[str, Any], ticket: int, magic: int, name: str, current: float, clock: BrokerClock
) -> dict[str, Any]:
    """OpenedOrder of kind Pending from a /v1 pending-order record (`current`: ask for buys, bid for sells)."""
    return {
        "ticket": ticket,
        "symbol": name,
        "type": OPERATION_BY_TYPE[order["type"]],
        "kind": "Pending",
        "lots": order["volume"],
        "openPrice": order["price"],
        "currentPrice": current,
        "stopLoss": _level(order["sl"]),
        "takeProfit": _level(order["tp"]),
        "swap": 0.0,
        "profit": 0.0,
        "magic": magic,
        "comment": order.get("comment") or "",
        "openTime": clock.render(utc_of(order["created_at"])),
    }


def opened_stop_limit(order: StopLimitOrder, name: str, current: float, clock: BrokerClock) -> dict[str, Any]:
    """OpenedOrder of a waiting stop-limit order (openPrice is its stop price, as MT5 shows it)."""
    spec = order.spec
    return {
        "ticket": order.ticket,
        "symbol": name,
        "type": order.operation,
        "kind": "Pending",
        "lots": lots(order.units),
        "openPrice": spec.from_points(order.stop_pts),
        "currentPrice": current,
        "stopLoss": 0.0 if order.sl_pts is None else spec.from_points(order.sl_pts),
        "takeProfit": 0.0 if order.tp_pts is None else spec.from_points(order.tp_pts),
        "swap": 0.0,
        "profit": 0.0,
        "magic": order.magic,
        "comment": order.comment,
        "openTime": clock.render(order.created_at),
    }


def quote(engine_quote: dict[str, Any], name: str, clock: BrokerClock) -> dict[str, Any]:
    """Quote (all six fields; `last` and `volume` are 0 as on forex)."""
    return {
        "symbol": name,
        "bid": engine_quote["bid"],
        "ask": engine_quote["ask"],
        "time": clock.render(utc_of(engine_quote["time"])),
        "last": 0.0,
        "volume": 0,
    }


def symbol_info(
    spec: InstrumentSpec, engine_quote: dict[str, Any], name: str, tick_value: float
) -> dict[str, Any]:
    """SymbolInfo; `tick_value` is one point of one lot in the account currency."""
    long_swap, short_swap = SWAP_POINTS.get(spec.symbol, (0.0, 0.0))
    spread = spec.to_points(engine_quote["ask"]) - spec.to_points(engine_quote["bid"])
    return {
        "symbol": name,
        "description": f"{spec.base} vs {spec.quote}",
        "digits": spec.digits,
        "point": spec.point,
        "tickSize": spec.point,
        "tickValue": round(tick_value, 6),
        "contractSize": spec.contract_size,
        "volumeMin": spec.min_volume,
        "volumeMax": spec.max_volume,
        "volumeStep": spec.volume_step,
        "stopsLevel": 0,
        "freezeLevel": 0,
        "spread": spread,
        "tradeMode": "Full",
        "swapLong": long_swap,
        "swapShort": short_swap,
        "bid": engine_quote["bid"],
        "ask": engine_quote["ask"],
        "currencyBase": spec.base,
        "currencyProfit": spec.quote,
        "currencyMargin": spec.base,
        "commissions": [],
        "sessions": [{"day": day, "from": "00:00", "to": "24:00"} for day in WEEKDAYS],
    }


def history_row(deal: Deal, name: str, clock: BrokerClock) -> dict[str, Any]:
    """HistoryTrade (one /OrderHistory row) of a deal."""
    return {
        "ticket": deal.ticket,
        "order": deal.order,
        "position": deal.position,
        "symbol": name,
        "type": deal.side,
        "entry": deal.entry,
        "volume": deal.volume,
        "price": deal.price,
        "commission": deal.commission,
        "swap": deal.swap,
        "profit": deal.profit,
        "magic": deal.magic,
        "comment": deal.comment,
        "time": clock.render(deal.time),
    }


def position_row(trip: RoundTrip, name: str, digits: int, clock: BrokerClock) -> dict[str, Any]:
    """PositionTrade (one /PositionHistory row) of a fully closed position."""
    opening = trip.opening
    commission = trip.commission
    return {
        "positionId": opening.position,
        "symbol": name,
        "type": opening.side,
        "volume": opening.volume,
        "openTime": clock.render(opening.time),
        "openPrice": opening.price,
        "closeTime": clock.render(trip.close_time),
        "closePrice": round(trip.close_price, digits),
        "profit": trip.profit,
        "swap": trip.swap,
        "commission": commission,
        "netProfit": round(trip.profit + trip.swap + commission, 2),
        "magic": opening.magic,
        "comment": opening.comment,
    }


def trade_event(deal: Deal, name: str, clock: BrokerClock, *, mt4: bool) -> dict[str, Any]:
    """The `data` of a `trade` frame (on MT4 `deal` is always 0)."""
    return {
        "deal": 0 if mt4 else deal.ticket,
        "order": deal.order,
        "position": deal.position,
        "symbol": name,
        "type": deal.side,
        "entry": deal.entry,
        "volume": deal.volume,
        "price": deal.price,
        "profit": deal.profit,
        "commission": deal.commission,
        "swap": deal.swap,
        "magic": deal.magic,
        "comment": deal.comment,
        "time": clock.render(deal.time),
        "degraded": False,
    }
