"""The operator HTTP endpoint (uvicorn + FastAPI on the app's own loop): /healthz, /readyz and /metrics."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import sqlite3
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from fxbot.ops.metrics import Metrics
from fxbot.ops.readiness import Readiness
from fxbot.storage.database import Database
from fxbot.storage.errors import StorageError

log = logging.getLogger(__name__)

SCRAPE_DB_TIMEOUT_S = 2.0


class OpsServerError(Exception):
    """The ops endpoint could not listen (the port is taken, the host unknown)."""


class _QuietServer(uvicorn.Server):
    """uvicorn leaving signals to the app (its SIGTERM handling stays in charge)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def create_ops_app(metrics: Metrics, readiness: Readiness, db: Database) -> FastAPI:
    """The three routes; nothing else is exposed (no docs, no OpenAPI schema)."""
    app = FastAPI(title="fxbot ops", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}  # answered from the event loop: the loop is alive and not blocked

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        report = await readiness.check()
        metrics.ready.set(1 if report.ready else 0)
        metrics.set_streams(report.stream_states())
        return JSONResponse(report.as_json(), status_code=200 if report.ready else 503)

    @app.get("/metrics")
    async def scrape() -> Response:
        await _refresh_outbox(metrics, db)
        metrics.set_streams(readiness.stream_states())
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return app


async def _refresh_outbox(metrics: Metrics, db: Database) -> None:
    """Pending outbox rows per platform, read at scrape time (the last values stay when the read fails)."""
    try:
        async with asyncio.timeout(SCRAPE_DB_TIMEOUT_S):
            rows = await db.fetch_all(
                "SELECT platform, COUNT(*) FROM notify_outbox WHERE state = 'pending' GROUP BY platform")
    except (TimeoutError, sqlite3.Error, StorageError) as error:
        log.warning("ops: could not read the outbox depth for /metrics (%s)", type(error).__name__)
        return
    metrics.set_outbox_depth({str(row[0]): int(row[1]) for row in rows})


def _listen(host: str, port: int) -> socket.socket:
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as error:
        raise OpsServerError(f"ops endpoint: cannot resolve host {host!r} ({error})") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as error:
        sock.close()
        raise OpsServerError(f"ops endpoint: cannot listen on {host}:{port} ({error.strerror or error})") from None
    sock.setblocking(False)
    return sock


class OpsServer:
    """Serves the ops routes in a task on the running loop; `start()` returns once it listens."""

    def __init__(self, app: FastAPI, *, host: str, port: int) -> None:
        self._host = host
        self._requested_port = port
        self._server = _QuietServer(uvicorn.Config(app, log_level="warning", access_log=False,
                                                   server_header=False, lifespan="off"))
        self._socket: socket.socket | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        """The bound port (the real one when 0 was asked for)."""
        if self._socket is None:
            raise RuntimeError("the ops endpoint is not listening")
        bound: int = self._socket.getsockname()[1]
        return bound

    @property
    def url(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        self._socket = _listen(self._host, self._requested_port)
        self._task = asyncio.create_task(self._server.serve(sockets=[self._socket]), name="fxbot-ops")
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise OpsServerError("ops endpoint: the server stopped while starting")
            await asyncio.sleep(0.01)
        log.info("ops endpoint listening on %s (/healthz, /readyz, /metrics)", self.url)

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
                log.exception("ops endpoint: stopping failed")
        if self._socket is not None:
            self._socket.close()
