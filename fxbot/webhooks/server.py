"""The webhook receiver's own HTTP server (uvicorn on the app's loop), apart from the ops endpoint: it faces the
internet, the ops routes should not."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

log = logging.getLogger(__name__)


class WebhookServerError(Exception):
    """The receiver could not listen (the port is taken, the host unknown)."""


class _QuietServer(uvicorn.Server):
    """uvicorn leaving signals to the app."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _listen(host: str, port: int) -> socket.socket:
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as error:
        raise WebhookServerError(f"webhooks: cannot resolve host {host!r} ({error})") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as error:
        sock.close()
        raise WebhookServerError(f"webhooks: cannot listen on {host}:{port} ({error.strerror or error})") from None
    sock.setblocking(False)
    return sock


class WebhookServer:
    """Serves the receiver in a task; `start()` returns once it listens. No access log (paths hold tokens)."""

    def __init__(self, app: FastAPI, *, host: str, port: int) -> None:
        self._host = host
        self._requested_port = port
        # proxy_headers off: uvicorn would otherwise take X-Forwarded-For from any loopback peer; which proxies
        # are trusted is the receiver's decision (webhooks.trusted_proxies).
        self._server = _QuietServer(uvicorn.Config(app, log_level="warning", access_log=False, server_header=False,
                                                   lifespan="off", proxy_headers=False))
        self._socket: socket.socket | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        if self._socket is None:
            raise RuntimeError("the webhook receiver is not listening")
        bound: int = self._socket.getsockname()[1]
        return bound

    @property
    def url(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        self._socket = _listen(self._host, self._requested_port)
        self._task = asyncio.create_task(self._server.serve(sockets=[self._socket]), name="fxbot-webhooks")
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise WebhookServerError("webhooks: the server stopped while starting")
            await asyncio.sleep(0.01)
        log.info("webhook receiver listening on %s", self.url)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            self._server.should_exit = True
            try:
                async with asyncio.timeout(5.0):
                    await task
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            except Exception:
                log.exception("webhooks: stopping the receiver failed")
        if self._socket is not None:
            self._socket.close()
            self._socket = None
