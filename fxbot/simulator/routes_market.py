"""/v1 market REST routes: the current quote and candle history of a symbol."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from fxbot.simulator.request_parsing import parse_range
from fxbot.simulator.state import state_of

router = APIRouter(prefix="/v1")


@router.get("/quotes/{symbol}")
async def get_quote(symbol: str, request: Request) -> dict[str, Any]:
    return state_of(request).engine.quote(symbol)


@router.get("/candles/{symbol}")
async def get_candles(
    symbol: str,
    request: Request,
    timeframe: str = Query("H1"),
    start: str | None = Query(None, alias="from"),
    end: str | None = Query(None, alias="to"),
    limit: int = Query(100, ge=1, le=5000),
) -> dict[str, Any]:
    start_at, end_at = parse_range(start, end)
    state = state_of(request)
    return state.engine.candles(symbol, timeframe, start_at, end_at, limit, state.now())
