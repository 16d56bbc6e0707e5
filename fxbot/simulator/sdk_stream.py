"""The SDK face's per-account WebSocket (`/sdk/t/{account}/ws?api_key=`): handshake checks and client frames."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from fxbot.simulator.sdk_candles import canonical_timeframe
from fxbot.simulator.sdk_errors import error_response
from fxbot.simulator.sdk_face import SdkFace
from fxbot.simulator.sdk_positions import opened_orders
from fxbot.simulator.sdk_streams import SdkConnection, Subscription

router = APIRouter()

TOPICS = ("prices", "bars", "account", "positions", "trades", "terminal")


def _face(websocket: WebSocket) -> SdkFace:
    face = websocket.app.state.sdk
    assert isinstance(face, SdkFace)
    return face


def _error(topic: object, message: str) -> dict[str, Any]:
    return {"type": "error", "topic": topic if isinstance(topic, str) else "", "message": message}


def _label(subscription: Subscription) -> str:
    return " ".join(part for part in subscription if part)


def _subscription(face: SdkFace, message: dict[str, Any]) -> Subscription | dict[str, Any]:
    """The (topic, symbol, timeframe) a subscribe/unsubscribe names, or the error frame saying what is wrong."""
    topic, symbol, timeframe = message.get("topic"), message.get("symbol"), message.get("timeframe")
    if topic not in TOPICS:
        return _error(topic, f"unknown topic {topic!r}; topics: {', '.join(TOPICS)}")
    if topic not in ("prices", "bars"):
        return (topic, None, None)
    if not isinstance(symbol, str) or face.names.canonical(symbol) is None:
        return _error(topic, f"unknown symbol {symbol!r}; GET /symbols lists this account's symbols")
    if topic == "prices":
        return (topic, symbol, None)
    label = canonical_timeframe(timeframe) if isinstance(timeframe, str) else None
    if label is None:
        return _error(topic, f"bad timeframe {timeframe!r}; use M1 M5 M15 M30 H1 H4 D1 W1 MN1")
    return (topic, symbol, label)


def _initial(face: SdkFace, conn: SdkConnection, subscription: Subscription) -> dict[str, Any] | None:
    """What a new subscriber gets at once: the current tick/bar/summary/snapshot/terminal state."""
    topic, symbol, timeframe = subscription
    canonical = None if symbol is None else face.names.canonical(symbol)
    if topic == "prices" and canonical is not None:
        return face.streams.tick_frame(canonical)
    if topic == "bars" and canonical is not None and timeframe is not None:
        return face.streams.bar_frame(canonical, timeframe)
    if topic == "account":
        return face.streams.account_frame(face.engine.account(conn.account_id))
    if topic == "positions":
        return {"type": "positions", "data": opened_orders(face, conn.account_id)}
    if topic == "terminal":
        return face.streams.terminal_frame(conn.account_id)
    return None


def handle_client_frame(face: SdkFace, conn: SdkConnection, text: str) -> list[dict[str, Any]]:
    """Apply one client frame; the frames to answer with (bad input changes nothing, the socket stays open)."""
    try:
        message = json.loads(text)
    except ValueError:
        return [_error("", "the message is not valid JSON")]
    if not isinstance(message, dict):
        return [_error("", "the message must be a JSON object")]
    action = message.get("action")
    if action == "list":
        data = [{"topic": t, "symbol": s, "timeframe": f} for t, s, f in sorted(conn.subscriptions, key=str)]
        return [{"type": "subscriptions", "data": [{k: v for k, v in d.items() if v is not None} for d in data]}]
    if action not in ("subscribe", "unsubscribe"):
        return [_error(message.get("topic"), f"unknown action {action!r}; use subscribe, unsubscribe or list")]
    subscription = _subscription(face, message)
    if isinstance(subscription, dict):
        return [subscription]
    topic = subscription[0]
    if action == "unsubscribe":
        if subscription not in conn.subscriptions:
            return [_error(topic, f"not subscribed to {_label(subscription)}")]
        conn.subscriptions.discard(subscription)
        return [{"type": "unsubscribed", "topic": topic, "message": f"unsubscribed from {_label(subscription)}"}]
    if subscription in conn.subscriptions:
        return [{"type": "subscribed", "topic": topic, "message": f"already subscribed to {_label(subscription)}"}]
    conn.subscriptions.add(subscription)
    frames = [{"type": "subscribed", "topic": topic, "message": f"subscribed to {_label(subscription)}"}]
    first = _initial(face, conn, subscription)
    return frames if first is None else [*frames, first]


async def _read_loop(websocket: WebSocket, conn: SdkConnection, face: SdkFace) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        frames = [_error("", "send JSON text frames, not binary")] if text is None else None
        for frame in frames or handle_client_frame(face, conn, str(text)):
            conn.push(frame)


async def _refuse(websocket: WebSocket, face: SdkFace, status: int, code: str, message: str) -> None:
    await websocket.send_denial_response(
        error_response(websocket.url.path, status, code, message, face.command_ids.next())
    )


@router.websocket("/sdk/t/{account_id}/ws")
async def stream(websocket: WebSocket, account_id: str) -> None:
    face = _face(websocket)
    state = face.state
    key = websocket.query_params.get("api_key")
    record = state.keys.lookup_sdk(key)
    if record is None or key is None:
        await _refuse(websocket, face, 401, "unauthorized", "missing, unknown or revoked API key (?api_key=…)")
        return
    if account_id not in face.engine.account_ids():
        await _refuse(websocket, face, 404, "not_found", f"no terminal for account {account_id!r}")
        return
    if account_id not in state.reachable_accounts(record):
        await _refuse(websocket, face, 401, "unauthorized", f"this key does not give access to account {account_id}")
        return
    status = face.engine.account_status(account_id)
    if status != "connected":
        await _refuse(websocket, face, 503, "terminal_not_ready", f"the terminal is not ready (account {status})")
        return
    await websocket.accept()
    conn = SdkConnection(websocket, key, account_id)
    face.streams.add(conn)
    writer = asyncio.create_task(conn.run_writer(), name="sim-sdk-stream-writer")
    reader = asyncio.create_task(_read_loop(websocket, conn, face), name="sim-sdk-stream-reader")
    try:
        await asyncio.wait({writer, reader}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        face.streams.remove(conn)
        for task in (reader, writer):
            task.cancel()
        for task in (reader, writer):
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await task
