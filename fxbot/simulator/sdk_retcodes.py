"""MT5 trade retcodes of the SDK face: the engine's refusals as retcodes, and the OrderResult they answer with."""

from __future__ import annotations

from typing import Any

PLACED = 10008
DONE = 10009
DONE_PARTIAL = 10010
INVALID_REQUEST = 10013
INVALID_VOLUME = 10014
INVALID_PRICE = 10015
INVALID_STOPS = 10016
MARKET_CLOSED = 10018
NO_MONEY = 10019
NO_CHANGES = 10025

DESCRIPTIONS = {
    PLACED: "Order placed",
    DONE: "Request completed",
    DONE_PARTIAL: "Only part of the request was completed",
    INVALID_REQUEST: "Invalid request",
    INVALID_VOLUME: "Invalid volume in the request",
    INVALID_PRICE: "Invalid price in the request",
    INVALID_STOPS: "Invalid stops in the request",
    MARKET_CLOSED: "Market is closed",
    NO_MONEY: "There is not enough money to complete the request",
    NO_CHANGES: "No changes in request",
}

# The engine's refusal codes (SimError.code) that a broker reports as a retcode.
RETCODE_BY_ENGINE_CODE = {
    "invalid_volume": INVALID_VOLUME,
    "invalid_price": INVALID_PRICE,
    "invalid_stops": INVALID_STOPS,
    "market_closed": MARKET_CLOSED,
    "insufficient_margin": NO_MONEY,
    "bad_request": INVALID_REQUEST,
}


def outcome(retcode: int) -> str:
    if retcode in (DONE, PLACED):
        return "applied"
    if retcode == NO_CHANGES:
        return "no_change"
    if retcode == DONE_PARTIAL:
        return "partial"
    return "rejected"


def order_result(
    retcode: int,
    *,
    deal: int = 0,
    order: int = 0,
    volume: float = 0.0,
    price: float = 0.0,
    bid: float = 0.0,
    ask: float = 0.0,
    comment: str | None = None,
) -> dict[str, Any]:
    """OrderResult: `success` only for DONE/PLACED; `comment` says why on a rejection."""
    description = DESCRIPTIONS.get(retcode, "Request rejected")
    return {
        "success": retcode in (DONE, PLACED),
        "outcome": outcome(retcode),
        "retcode": retcode,
        "retcodeDescription": description,
        "deal": deal,
        "order": order,
        "volume": volume,
        "price": price,
        "bid": bid,
        "ask": ask,
        "comment": description if comment is None else comment,
    }
