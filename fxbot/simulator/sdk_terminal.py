"""Terminal REST of the SDK face, account side: summary, open orders, deal and position history, trading calls."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request

from fxbot.domain.instruments import INSTRUMENTS
from fxbot.simulator.sdk_errors import invalid
from fxbot.simulator.sdk_face import SdkFace
from fxbot.simulator.sdk_parsing import query, read_object
from fxbot.simulator.sdk_positions import opened_orders
from fxbot.simulator.sdk_time import BrokerTimeError
from fxbot.simulator.sdk_trading import TerminalDesk
from fxbot.simulator.sdk_wire import account_summary, history_row, position_row

router = APIRouter(prefix="/sdk/t/{account_id}")


def face_of(request: Request) -> SdkFace:
    face = request.app.state.sdk
    assert isinstance(face, SdkFace)
    return face


def account_of(request: Request) -> str:
    """The account the gate checked this key may reach."""
    account_id = request.state.sdk_account
    assert isinstance(account_id, str)
    return account_id


def time_range(request: Request, face: SdkFace) -> tuple[datetime | None, datetime | None]:
    """`from`/`to` in broker server time (see BrokerClock.parse) as real UTC bounds; from after to is a 400."""
    bounds: list[datetime | None] = []
    for name in ("from", "to"):
        raw = query(request, name)
        try:
            bounds.append(None if raw is None else face.clock.parse(raw))
        except BrokerTimeError as exc:
            raise invalid(f"query parameter {name!r}: {exc}") from None
    start, end = bounds
    if start is not None and end is not None and start > end:
        raise invalid("query parameter 'from' is after 'to'")
    return start, end


@router.get("/AccountSummary")
async def get_account_summary(request: Request) -> dict[str, Any]:
    return account_summary(face_of(request).engine.account(account_of(request)))


@router.get("/OpenedOrders")
async def get_opened_orders(request: Request) -> list[dict[str, Any]]:
    return opened_orders(face_of(request), account_of(request))


@router.get("/OrderHistory")
async def get_order_history(request: Request) -> list[dict[str, Any]]:
    """Deals (In and Out rows sharing `position`) with time in [from, to], oldest first."""
    face = face_of(request)
    start, end = time_range(request, face)
    deals = face.book.deals.deals(account_of(request), start, end)
    return [history_row(deal, face.names.broker(deal.symbol), face.clock) for deal in deals]


@router.get("/PositionHistory")
async def get_position_history(request: Request) -> list[dict[str, Any]]:
    """Fully closed positions whose last close is in [from, to], in closing order."""
    face = face_of(request)
    start, end = time_range(request, face)
    trips = face.book.deals.round_trips(account_of(request), start, end)
    return [
        position_row(trip, face.names.broker(trip.opening.symbol), INSTRUMENTS[trip.opening.symbol].digits, face.clock)
        for trip in trips
    ]


@router.get("/ServerTimezone")
async def get_server_timezone(request: Request) -> dict[str, Any]:
    face = face_of(request)
    now = face.state.now()
    return {"serverTime": face.clock.render(now), "utcOffsetSeconds": face.clock.offset_s(now)}


@router.post("/OrderSend")
async def order_send(request: Request) -> dict[str, Any]:
    return TerminalDesk(face_of(request)).order_send(account_of(request), await read_object(request))


@router.post("/OrderModify")
async def order_modify(request: Request) -> dict[str, Any]:
    return TerminalDesk(face_of(request)).order_modify(account_of(request), await read_object(request))


@router.post("/OrderClose")
async def order_close(request: Request) -> dict[str, Any]:
    return TerminalDesk(face_of(request)).order_close(account_of(request), await read_object(request))


@router.post("/CloseAll")
async def close_all(request: Request) -> dict[str, Any]:
    body = await read_object(request, empty_ok=True)
    return TerminalDesk(face_of(request)).close_all(account_of(request), body)
