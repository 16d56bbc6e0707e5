"""Webhook mode: a small loopback/LAN HTTP endpoint (uvicorn + starlette) feeding PTB's update queue."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import Iterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from telegram import Bot, Update

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class _QuietServer(uvicorn.Server):
    """uvicorn without its own signal handlers: the app's SIGTERM handling stays in charge."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class WebhookServer:
    """Receives Telegram's POSTs on `path`, checks the secret token, and queues the updates for PTB."""

    def __init__(
        self,
        bot: Bot,
        queue: asyncio.Queue[object],
        *,
        listen: str,
        port: int,
        path: str,
        secret: str,
        certfile: str | None = None,
        keyfile: str | None = None,
    ) -> None:
        self._bot = bot
        self._queue = queue
        self._secret = secret.encode()
        self._path = "/" + path.strip("/")
        app = Starlette(routes=[Route(self._path, self._receive, methods=["POST"])])
        config = uvicorn.Config(app, host=listen, port=port, log_level="warning", access_log=False,
                                ssl_certfile=certfile, ssl_keyfile=keyfile, server_header=False, lifespan="off")
        self._server = _QuietServer(config)
        self._task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        """The bound port (useful with port 0)."""
        for server in self._server.servers:
            for sock in server.sockets:
                port: int = sock.getsockname()[1]
                return port
        raise RuntimeError("the webhook server is not listening")

    async def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve(), name="telegram-webhook")
        while not self._server.started:
            if self._task.done():
                self._task.result()  # raises the bind error
                raise RuntimeError("the webhook server stopped at start-up")
            await asyncio.sleep(0.01)
        log.info("telegram: webhook listening on port %d path %s", self.port, self._path)

    async def stop(self) -> None:
        if self._task is None:
            return
        self._server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _receive(self, request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            return PlainTextResponse("forbidden", status_code=403)
        try:
            data: Any = json.loads(await request.body())
            update = Update.de_json(data, self._bot)
        except Exception:
            log.warning("telegram: the webhook received a body that is not an update")
            return PlainTextResponse("bad update", status_code=400)
        await self._queue.put(update)
        return PlainTextResponse("ok")
