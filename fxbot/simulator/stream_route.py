"""The /v1/stream WebSocket endpoint: key check on upgrade, then subscriptions and fan-out via the hub."""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from fxbot.simulator.auth import KeyRecord, parse_bearer
from fxbot.simulator.http_errors import error_response
from fxbot.simulator.state import SimState, state_of
from fxbot.simulator.stream_hub import StreamConnection
from fxbot.simulator.stream_messages import handle_message

router = APIRouter(prefix="/v1")


async def _read_loop(
    websocket: WebSocket, connection: StreamConnection, state: SimState, record: KeyRecord
) -> None:
    def canonical_symbol(symbol: str) -> str:
        return str(state.engine.quote(symbol)["symbol"])

    def select_account(account_id: str | None) -> str:
        return state.select_account(record, account_id)

    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        if text is None:
            connection.send_frame(
                "error", {"error": "bad_request", "message": "send JSON text frames, not binary"}
            )
            continue
        kind, data = handle_message(
            connection, text, canonical_symbol=canonical_symbol, select_account=select_account
        )
        connection.send_frame(kind, data)


@router.websocket("/stream")
async def stream(websocket: WebSocket) -> None:
    state = state_of(websocket)
    key = parse_bearer(websocket.headers.get("authorization"))
    record = state.keys.lookup(key)
    if record is None or key is None:
        await websocket.send_denial_response(
            error_response(
                401, "unauthorized", "missing, unknown or revoked API key (send Authorization: Bearer <key>)"
            )
        )
        return
    await websocket.accept()
    connection = StreamConnection(websocket, key)
    state.hub.add(connection)
    writer = asyncio.create_task(connection.run_writer(), name="sim-stream-writer")
    reader = asyncio.create_task(_read_loop(websocket, connection, state, record), name="sim-stream-reader")
    try:
        await asyncio.wait({writer, reader}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        state.hub.remove(connection)
        for task in (reader, writer):
            task.cancel()
        for task in (reader, writer):
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await task
