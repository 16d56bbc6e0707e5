"""A loopback Discord: REST under /api/v10 and a gateway WebSocket (HELLO -> IDENTIFY -> READY, heartbeat
ACKs, dispatching test events), so a real discord.Client logs in and connects with no network.

    async with LoopbackDiscord() as fake:
        fake.point_discord_here(monkeypatch)   # Route.BASE and DiscordWebSocket.DEFAULT_GATEWAY
        ... client.start(token) ...
        await fake.identified.wait(); await fake.dispatch("INTERACTION_CREATE", payload)

Answers carry `Content-Type: application/json` exactly (discord.py parses nothing else as JSON).
"""

from __future__ import annotations

import asyncio
import json
from types import TracebackType
from typing import Any

import pytest
import yarl
from aiohttp import WSMsgType, web
from discord.gateway import DiscordWebSocket
from discord.http import Route

from tests.fakes.discord_wire import APP_ID, BOT_ID, DiscordPerson, DiscordWire

HEARTBEAT_INTERVAL_MS = 41_250


class LoopbackDiscord:
    """The fake Discord server; `wire` records REST calls (and answers them), `identify` is the IDENTIFY."""

    def __init__(self) -> None:
        self.wire = DiscordWire()
        self.identify: dict[str, Any] | None = None
        self.identified = asyncio.Event()
        self.closed = asyncio.Event()
        self._sockets: list[web.WebSocketResponse] = []
        self._sequence = 0
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> LoopbackDiscord:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.Server) and server.sockets
        self.port = server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        for socket in self._sockets:
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def point_discord_here(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(Route, "BASE", f"{self.base_url}/api/v10")
        monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(f"ws://127.0.0.1:{self.port}/gateway"))

    async def _rest(self, request: web.Request) -> web.Response:
        text = await request.text()
        body: Any = None
        if text and request.content_type == "application/json":
            body = json.loads(text)
        elif request.content_type.startswith("multipart/"):
            body = None
        try:
            answer = await self.wire.record(request.method, "/" + request.match_info["path"], body,
                                            dict(request.query))
        except Exception as error:  # a configured failure
            status = getattr(error, "status", 500)
            return _json({"message": "failure", "code": 0}, status)
        if answer is None:
            return web.Response(status=204)
        return _json(answer, 200)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}}))
        async for message in socket:
            if message.type is not WSMsgType.TEXT:
                continue
            frame = json.loads(message.data)
            if frame.get("op") == 1:
                await socket.send_str(json.dumps({"op": 11}))
            elif frame.get("op") == 2:
                self.identify = frame["d"]
                await self._send(socket, "READY", {
                    "v": 10, "user": DiscordPerson(BOT_ID, "fxbot").user_payload() | {"bot": True},
                    "guilds": [], "session_id": "loopback-session",
                    "resume_gateway_url": f"ws://127.0.0.1:{self.port}/gateway",
                    "application": {"id": str(APP_ID), "flags": 0},
                })
                self.identified.set()
        self.closed.set()
        return socket

    async def _send(self, socket: web.WebSocketResponse, event: str, data: dict[str, Any]) -> None:
        self._sequence += 1
        await socket.send_str(json.dumps({"op": 0, "t": event, "s": self._sequence, "d": data}))

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway event (e.g. INTERACTION_CREATE) to every connected client."""
        for socket in self._sockets:
            if not socket.closed:
                await self._send(socket, event, data)


def _json(data: Any, status: int) -> web.Response:
    return web.Response(body=json.dumps(data).encode("utf-8"), status=status,
                        headers={"Content-Type": "application/json"})
