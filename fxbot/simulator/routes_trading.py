"""/v1 account-bound REST routes: account(s), positions, orders (place, modify, close/cancel), history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from fxbot.simulator.errors import SimError
from fxbot.simulator.request_parsing import (
    bad_request,
    number_field,
    parse_positive_volume,
    parse_range,
    read_json_object,
    reject_unknown,
    string_field,
)
from fxbot.simulator.state import state_of

router = APIRouter(prefix="/v1")

ORDER_TYPES = ("BUY", "SELL", "BUY_LIMIT", "SELL_LIMIT", "BUY_STOP", "SELL_STOP")
PENDING_TYPES = ORDER_TYPES[2:]
_ORDER_FIELDS = ("symbol", "type", "volume", "price", "sl", "tp", "comment")
_PATCH_FIELDS = ("sl", "tp", "price")
_IMMUTABLE = ("symbol", "type", "volume")


def _account(request: Request) -> str:
    account_id = request.state.account_id
    assert isinstance(account_id, str)
    return account_id


@router.get("/account")
async def get_account(request: Request) -> dict[str, Any]:
    return state_of(request).engine.account(_account(request))


@router.get("/accounts")
async def get_accounts(request: Request) -> list[dict[str, Any]]:
    state = state_of(request)
    reachable = set(state.reachable_accounts(request.state.key_record))
    return [item for item in state.engine.accounts_list() if item["id"] in reachable]


@router.get("/positions")
async def get_positions(request: Request) -> list[dict[str, Any]]:
    return state_of(request).engine.positions(_account(request))


@router.get("/orders")
async def get_orders(request: Request) -> list[dict[str, Any]]:
    return state_of(request).engine.pending_orders(_account(request))


@router.post("/orders", status_code=201)
async def place_order(request: Request) -> JSONResponse:
    body = await read_json_object(request)
    reject_unknown(body, _ORDER_FIELDS, "an order")
    symbol = string_field(body, "symbol", required=True, max_length=32)
    order_type = string_field(body, "type", required=True, max_length=32)
    if order_type not in ORDER_TYPES:
        raise bad_request(f"field 'type' must be one of {', '.join(ORDER_TYPES)}, not {order_type!r}")
    volume = number_field(body, "volume", required=True)
    price = number_field(body, "price")
    if order_type in PENDING_TYPES and price is None:
        raise SimError(400, "invalid_price", f"a {order_type} order needs a price")
    state = state_of(request)
    assert symbol is not None and volume is not None
    answer, events = state.engine.place_order(
        _account(request),
        symbol=symbol,
        type=order_type,
        volume=volume,
        price=price if order_type in PENDING_TYPES else None,
        sl=number_field(body, "sl"),
        tp=number_field(body, "tp"),
        comment=string_field(body, "comment"),
        now=state.now(),
    )
    state.publish(events)
    return JSONResponse(answer, status_code=201)


@router.patch("/orders/{order_id}")
async def modify_order(order_id: str, request: Request) -> dict[str, Any]:
    body = await read_json_object(request)
    for name in _IMMUTABLE:
        if name in body:
            raise bad_request(f"an order's {name} cannot be changed; close it and place a new order")
    reject_unknown(body, _PATCH_FIELDS, "an order change")
    if not body:
        raise bad_request("nothing to change: send any of sl, tp, price")
    changes: dict[str, float | None] = {}
    for name in _PATCH_FIELDS:
        if name in body:
            changes[name] = number_field(body, name, nullable=name != "price")
            if name == "price" and changes[name] is None:
                raise bad_request("field 'price' must be a number, not null")
    state = state_of(request)
    answer, events = state.engine.modify_order(_account(request), order_id, changes, state.now())
    state.publish(events)
    return answer


@router.delete("/orders/{order_id}")
async def close_order(order_id: str, request: Request, volume: str | None = Query(None)) -> dict[str, Any]:
    amount = parse_positive_volume(volume)
    state = state_of(request)
    answer, events = state.engine.close_order(_account(request), order_id, amount, state.now())
    state.publish(events)
    return answer


@router.get("/history")
async def get_history(
    request: Request,
    start: str | None = Query(None, alias="from"),
    end: str | None = Query(None, alias="to"),
    symbol: str | None = Query(None, max_length=32),
    trade_type: str | None = Query(None, alias="type"),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> dict[str, Any]:
    start_at, end_at = parse_range(start, end)
    if trade_type is not None and trade_type not in ("BUY", "SELL"):
        raise bad_request(f"query parameter 'type' must be BUY or SELL, not {trade_type!r}")
    return state_of(request).engine.history(
        _account(request),
        start=start_at,
        end=end_at,
        symbol=symbol.upper() if symbol else None,
        type=trade_type,
        limit=limit,
        offset=offset,
    )
