"""Terminal REST of the SDK face, market side: symbols, quotes, symbol info, bars, margin and profit calculators."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from fxbot.domain.currency import convert
from fxbot.domain.instruments import INSTRUMENTS
from fxbot.simulator.ledger import base_margin, quote_profit
from fxbot.simulator.sdk_candles import canonical_timeframe
from fxbot.simulator.sdk_errors import SdkError, invalid
from fxbot.simulator.sdk_face import SdkFace
from fxbot.simulator.sdk_parsing import query, query_number
from fxbot.simulator.sdk_terminal import account_of, face_of, time_range
from fxbot.simulator.sdk_wire import parse_operation, symbol_info

router = APIRouter(prefix="/sdk/t/{account_id}")


def _symbol(request: Request, face: SdkFace) -> str:
    name = query(request, "symbol", required=True)
    assert name is not None
    symbol = face.names.canonical(name)
    if symbol is None:
        raise SdkError(404, "not_found", f"unknown symbol {name!r}; GET /symbols lists this account's symbols")
    return symbol


def _to_account(face: SdkFace, amount: float, currency: str, account_currency: str) -> float:
    def mid(symbol: str) -> float | None:
        if symbol not in INSTRUMENTS:
            return None
        bid, ask = face.bid_ask(symbol)
        return (bid + ask) / 2

    converted = convert(amount, currency, account_currency, mid)
    return 0.0 if converted is None else converted


def _operation(request: Request) -> str:
    raw = query(request, "operation", required=True)
    operation = parse_operation(raw)
    if operation is None:
        raise invalid(f"query parameter 'operation' must be an order operation such as Buy or SellLimit, not {raw!r}")
    return operation


@router.get("/symbols")
async def get_symbols(request: Request) -> list[str]:
    return face_of(request).names.all()


@router.get("/getQuote")
async def get_quote(request: Request) -> dict[str, Any]:
    face = face_of(request)
    return face.quote(_symbol(request, face))


@router.get("/SymbolInfo")
async def get_symbol_info(request: Request) -> dict[str, Any]:
    face = face_of(request)
    symbol = _symbol(request, face)
    spec = INSTRUMENTS[symbol]
    currency = str(face.engine.account(account_of(request))["currency"])
    tick_value = _to_account(face, spec.point * spec.contract_size, spec.quote, currency)
    return symbol_info(spec, face.engine.quote(symbol), face.names.broker(symbol), tick_value)


@router.get("/PriceHistory")
async def get_price_history(request: Request) -> list[dict[str, Any]]:
    """Bars with open time in [from, to] (broker time); without `from`, the most recent 500."""
    face = face_of(request)
    symbol = _symbol(request, face)
    raw = query(request, "timeframe", required=True)
    timeframe = canonical_timeframe(raw or "")
    if timeframe is None:
        raise invalid(f"timeframe must be one of M1 M5 M15 M30 H1 H4 D1 W1 MN1, not {raw!r}")
    start, end = time_range(request, face)
    return face.bars().candles(symbol, timeframe, start, end)


@router.get("/OrderCalcMargin")
async def get_order_calc_margin(request: Request) -> dict[str, Any]:
    """Margin a new position would take, in the account currency (as the simulator's own margin check)."""
    face = face_of(request)
    symbol, operation = _symbol(request, face), _operation(request)
    volume, price = query_number(request, "volume"), query_number(request, "price", positive=False)
    account = face.engine.account(account_of(request))
    spec = INSTRUMENTS[symbol]
    units = round(volume * 100)
    margin = _to_account(face, base_margin(spec, units, int(account["leverage"])), spec.base, account["currency"])
    return {"symbol": face.names.broker(symbol), "operation": operation, "volume": volume, "price": price,
            "margin": round(margin, 2), "currency": account["currency"]}  # fmt: skip


@router.get("/OrderCalcProfit")
async def get_order_calc_profit(request: Request) -> dict[str, Any]:
    face = face_of(request)
    symbol, operation = _symbol(request, face), _operation(request)
    volume = query_number(request, "volume")
    price_open, price_close = query_number(request, "priceOpen"), query_number(request, "priceClose")
    currency = str(face.engine.account(account_of(request))["currency"])
    spec = INSTRUMENTS[symbol]
    side = "BUY" if operation.startswith("Buy") else "SELL"
    gross = quote_profit(spec, side, round(volume * 100), spec.to_points(price_open), spec.to_points(price_close))
    return {"symbol": face.names.broker(symbol), "operation": operation, "volume": volume,
            "priceOpen": price_open, "priceClose": price_close,
            "profit": round(_to_account(face, gross, spec.quote, currency), 2), "currency": currency}  # fmt: skip
