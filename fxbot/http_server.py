"""An ASGI app served by uvicorn in a task on the bot's own event loop, on a socket bound up front (port 0 works).

The ops endpoint and the webhook receiver are both one of these; each names itself in its messages and raises
its own error type when it cannot listen. Signals stay with the app (uvicorn's handlers are not installed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 5.0


class _QuietServer(uvicorn.Server):
    """uvicorn leaving signals to the app (its SIGTERM handling stays in charge)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class LoopHttpServer:
    """Serves `app` in a task; `start()` returns once it listens, `stop()` ends it (bounded) and frees the port.

    Subclasses set `what` (how messages name it, e.g. "ops endpoint"), `error` (raised when it cannot listen)
    and `task_name`. No access log: request paths may hold tokens."""

    what = "http server"
    error: type[Exception] = OSError
    task_name = "fxbot-http"

    def __init__(self, app: FastAPI, *, host: str, port: int, proxy_headers: bool = True) -> None:
        self._host = host
        self._requested_port = port
        self._server = _QuietServer(uvicorn.Config(app, log_level="warning", access_log=False, server_header=False,
                                                   lifespan="off", proxy_headers=proxy_headers))
        self._socket: socket.socket | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        """The bound port (the real one when 0 was asked for)."""
        if self._socket is None:
            raise RuntimeError(f"the {self.what} is not listening")
        bound: int = self._socket.getsockname()[1]
        return bound

    @property
    def url(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    def _listen(self) -> socket.socket:
        host, port = self._host, self._requested_port
        try:
            family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        except socket.gaierror as error:
            raise self.error(f"{self.what}: cannot resolve host {host!r} ({error})") from None
        sock = socket.socket(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
        except OSError as error:
            sock.close()
            raise self.error(f"{self.what}: cannot listen on {host}:{port} ({error.strerror or error})") from None
        sock.setblocking(False)
        return sock

    async def start(self) -> None:
        self._socket = self._listen()
        self._task = asyncio.create_task(self._server.serve(sockets=[self._socket]), name=self.task_name)
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise self.error(f"{self.what}: the server stopped while starting")
            await asyncio.sleep(0.01)
        log.info("%s listening on %s", self.what, self.url)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            self._server.should_exit = True
            try:
                async with asyncio.timeout(STOP_TIMEOUT_S):
                    await task
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            except Exception:
                log.exception("%s: stopping failed", self.what)
        if self._socket is not None:
            self._socket.close()
            self._socket = None
