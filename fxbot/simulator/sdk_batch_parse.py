"""Validation of the SDK face's multi-account batches (`/orders`, `/orders/close`): all or nothing, or a 400."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fxbot.simulator.sdk_errors import SdkError
from fxbot.simulator.sdk_parsing import check_fields, flag, integer, number, text, with_code
from fxbot.simulator.sdk_wire import STOP_LIMIT_OPERATIONS, parse_operation

ORDER_FIELDS = (
    "symbol", "operation", "volume", "price", "slippage", "stop_loss", "take_profit", "stop_limit_price",
    "expiration", "comment", "expert_id",
)  # fmt: skip
CLOSE_SELECTORS = ("symbol", "symbol_match", "side", "kind", "magic")
CLOSE_FIELDS = (*CLOSE_SELECTORS, "volume", "slippage")
_ENUMS = {"symbol_match": ("exact", "base"), "side": ("long", "short", "any"), "kind": ("position", "pending", "any")}
# batch (snake_case) -> terminal OrderSend (camelCase)
_TERMINAL_NAMES = {
    "symbol": "symbol", "operation": "operation", "volume": "volume", "price": "price", "slippage": "slippage",
    "stop_loss": "stopLoss", "take_profit": "takeProfit", "stop_limit_price": "stopLimitPrice",
    "expiration": "expiration", "comment": "comment", "expert_id": "expertId",
}  # fmt: skip


def bad_batch(message: str) -> SdkError:
    return SdkError(400, "invalid_batch", message)


@dataclass(frozen=True, slots=True)
class OrderLegPlan:
    account_id: str
    order: dict[str, Any]  # the merged order, batch names

    def terminal_body(self) -> dict[str, Any]:
        return {_TERMINAL_NAMES[name]: value for name, value in self.order.items()}


@dataclass(frozen=True, slots=True)
class CloseLegPlan:
    account_id: str
    selector: dict[str, Any] = field(default_factory=dict)
    tickets: tuple[int, ...] | None = None


def _object(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_batch(f"{where} must be an object")
    return value


def _legs(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    legs = body.get(name)
    if not isinstance(legs, list) or not legs:
        raise bad_batch(f"{name!r} must be a non-empty list")
    return [_object(leg, f"{name}[{index}]") for index, leg in enumerate(legs)]


def _account(leg: dict[str, Any], where: str) -> str:
    account_id = leg.get("account_id")
    if not isinstance(account_id, str) or not account_id:
        raise bad_batch(f"{where}: account_id is required")
    return account_id


def _check_order(order: dict[str, Any], where: str) -> None:
    try:
        for name in ("symbol", "operation", "volume"):
            if order.get(name) in (None, ""):
                raise bad_batch(f"{name} is required (set it on the leg or in defaults)")
        text(order, "symbol", required=True, max_length=64)
        operation = parse_operation(order.get("operation"))
        if operation is None:
            raise bad_batch(f"unknown operation {order.get('operation')!r}")
        number(order, "volume", required=True, positive=True)
        price = number(order, "price")
        if operation not in ("Buy", "Sell") and not price:
            raise bad_batch(f"price is required for pending orders ({operation})")
        if operation in STOP_LIMIT_OPERATIONS and not number(order, "stop_limit_price"):
            raise bad_batch(f"stop_limit_price is required for {operation} orders")
        number(order, "stop_loss")
        number(order, "take_profit")
        integer(order, "slippage")
        integer(order, "expert_id")
        text(order, "comment", max_length=128)
    except SdkError as exc:
        raise with_code(exc, "invalid_batch", where) from None


def parse_order_batch(body: dict[str, Any]) -> tuple[list[OrderLegPlan], bool]:
    """(legs with their merged orders, require_reachable) of a POST /orders body."""
    check_fields(body, ("orders", "defaults", "require_reachable"), "an order batch")
    require_reachable = flag(body, "require_reachable")
    defaults = _object(body.get("defaults") or {}, "defaults")
    try:
        check_fields(defaults, ORDER_FIELDS, "defaults")
    except SdkError as exc:
        raise with_code(exc, "invalid_batch", "defaults") from None
    plans: list[OrderLegPlan] = []
    for index, leg in enumerate(_legs(body, "orders")):
        where = f"orders[{index}]"
        try:
            check_fields(leg, (*ORDER_FIELDS, "account_id"), where)
        except SdkError as exc:
            raise with_code(exc, "invalid_batch", where) from None
        merged = {**defaults, **{k: v for k, v in leg.items() if k != "account_id"}}
        merged = {name: value for name, value in merged.items() if value is not None}
        _check_order(merged, where)
        plans.append(OrderLegPlan(_account(leg, where), merged))
    return plans, require_reachable


def _check_selector(selector: dict[str, Any], where: str) -> None:
    try:
        for name, allowed in _ENUMS.items():
            value = selector.get(name)
            if value is not None and value not in allowed:
                raise bad_batch(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
        text(selector, "symbol", max_length=64)
        integer(selector, "magic")
        number(selector, "volume", positive=True)
        integer(selector, "slippage")
    except SdkError as exc:
        raise with_code(exc, "invalid_batch", where) from None


def parse_close_batch(body: dict[str, Any]) -> tuple[list[CloseLegPlan], bool]:
    """(legs, require_reachable) of a POST /orders/close body."""
    check_fields(body, ("accounts", "defaults", "require_reachable"), "a close batch")
    require_reachable = flag(body, "require_reachable")
    defaults = _object(body.get("defaults") or {}, "defaults")
    try:
        check_fields(defaults, CLOSE_FIELDS, "defaults")
    except SdkError as exc:
        raise with_code(exc, "invalid_batch", "defaults") from None
    _check_selector(defaults, "defaults")
    plans: list[CloseLegPlan] = []
    for index, leg in enumerate(_legs(body, "accounts")):
        where = f"accounts[{index}]"
        try:
            check_fields(leg, (*CLOSE_FIELDS, "account_id", "tickets"), where)
        except SdkError as exc:
            raise with_code(exc, "invalid_batch", where) from None
        account_id = _account(leg, where)
        own = {k: v for k, v in leg.items() if k not in ("account_id", "tickets") and v is not None}
        _check_selector(own, where)
        tickets = leg.get("tickets")
        if tickets is not None:
            if not isinstance(tickets, list) or not tickets or not all(
                isinstance(t, int) and not isinstance(t, bool) and t >= 1 for t in tickets
            ):
                raise bad_batch(f"{where}: tickets must be a non-empty list of tickets >= 1")
            mixed = [name for name in CLOSE_SELECTORS if name in own]
            if mixed:
                raise bad_batch(f"{where}: tickets can't be combined with selector fields ({', '.join(mixed)})")
            plans.append(CloseLegPlan(account_id, {**defaults, **own}, tuple(tickets)))
            continue
        selector = {**defaults, **own}
        if not selector.get("symbol"):
            raise bad_batch(f'{where}: symbol is required (set it on the leg or in defaults; "*" closes every symbol)')
        plans.append(CloseLegPlan(account_id, selector))
    return plans, require_reachable
