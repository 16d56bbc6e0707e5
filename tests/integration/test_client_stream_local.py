"""FxSocketStream against a scripted loopback WebSocket server, for what the simulator cannot stage.

The simulator always pings and always sends well-formed frames, so a silent connection and garbage
frames are staged here with a tiny `websockets` server on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from websockets.asyncio.server import Server, ServerConnection, serve

from fxbot.fxsocket.events import QuoteEvent, StreamConnected, StreamDisconnected, StreamEvent
from fxbot.fxsocket.stream import FxSocketStream
from tests.waiting import HANG_S, eventually

QUOTE = {"type": "quote", "data": {"symbol": "EURUSD", "bid": 1.1, "ask": 1.1002,
                                   "time": "2026-04-02T14:30:00.123Z"}}


class ScriptedServer:
    """Records every client message per connection; sends `frames` on connect, then stays silent."""

    def __init__(self, frames: list[str | bytes]) -> None:
        self.frames = frames
        self.connections: list[list[dict[str, object]]] = []
        self.auth: list[str | None] = []

    async def handler(self, ws: ServerConnection) -> None:
        received: list[dict[str, object]] = []
        self.connections.append(received)
        self.auth.append(ws.request.headers.get("Authorization") if ws.request else None)
        for frame in self.frames:
            await ws.send(frame)
        async for message in ws:
            received.append(json.loads(message))


@pytest.fixture
async def silent_server() -> AsyncIterator[tuple[ScriptedServer, Server]]:
    script = ScriptedServer([])
    async with serve(script.handler, "127.0.0.1", 0, ping_interval=None) as server:
        yield script, server


def url_of(server: Server) -> str:
    port = next(iter(server.sockets)).getsockname()[1]
    return f"ws://127.0.0.1:{port}/v1/stream"


async def take(stream: FxSocketStream, n: int) -> list[StreamEvent]:
    events: list[StreamEvent] = []
    async with asyncio.timeout(HANG_S):
        async for event in stream:
            events.append(event)
            if len(events) == n:
                break
    return events


async def test_silence_triggers_reconnect_and_resubscription(
    silent_server: tuple[ScriptedServer, Server],
) -> None:
    script, server = silent_server
    stream = FxSocketStream(url=url_of(server), api_key="sk_test_local", silence_timeout_s=0.3,
                            reconnect_min_s=0.01, reconnect_max_s=0.05)
    await stream.subscribe_quotes(["EURUSD"])
    await stream.subscribe_orders(account_id="acc_2")
    try:
        connected, lost, back = await take(stream, 3)
        # the server reads the re-sent subscriptions in its own time: wait for them, don't race them
        await eventually(lambda: len(script.connections) >= 2 and len(script.connections[1]) >= 2,
                         "the subscriptions on the second connection")
    finally:
        await stream.close()
    assert isinstance(connected, StreamConnected) and not connected.reconnected
    assert isinstance(lost, StreamDisconnected) and "nothing received" in lost.reason
    assert isinstance(back, StreamConnected) and back.reconnected and back.disconnected_at == lost.at
    expected = [{"action": "subscribe", "channel": "quotes", "symbols": ["EURUSD"]},
                {"action": "subscribe", "channel": "orders", "account_id": "acc_2"}]
    assert len(script.connections) >= 2
    assert all(messages[:2] == expected for messages in script.connections[:2])
    assert script.auth[0] == "Bearer sk_test_local"


async def test_malformed_and_unknown_frames_are_skipped() -> None:
    garbage: list[str | bytes] = ["not json", "[]", json.dumps({"type": "quote", "data": {"bid": "x"}}),
                                  json.dumps({"type": "galaxy_update", "data": {}}), b"\x00binary",
                                  json.dumps(QUOTE)]
    script = ScriptedServer(garbage)
    async with serve(script.handler, "127.0.0.1", 0) as server:
        stream = FxSocketStream(url=url_of(server), api_key="sk_test_local")
        async with stream:
            connected, quote = await take(stream, 2)
    assert isinstance(connected, StreamConnected)
    assert isinstance(quote, QuoteEvent) and quote.quote.symbol == "EURUSD"


async def test_unreachable_server_keeps_retrying_until_closed() -> None:
    attempts = 0

    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal attempts
        attempts += 1
        writer.close()  # not a WebSocket server: every connection fails at once

    server = await asyncio.start_server(refuse, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    stream = FxSocketStream(url=f"ws://127.0.0.1:{port}/v1/stream", api_key="sk_test_local",
                            reconnect_min_s=0.01, reconnect_max_s=0.02)

    async def consume() -> list[StreamEvent]:
        return [event async for event in stream]

    consumer = asyncio.create_task(consume())
    try:
        await eventually(lambda: attempts >= 3 or consumer.done(), "three connection attempts")
        assert not consumer.done()  # still trying, never raised
        await stream.close()
        async with asyncio.timeout(HANG_S):
            assert await consumer == []
    finally:
        consumer.cancel()
        server.close()
        await server.wait_closed()
