"""The operator HTTP endpoint (uvicorn + FastAPI on the app's own loop): /healthz, /readyz and /metrics."""

from __future__ import annotations

import asyncio
import logging
import sqlite3

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from fxbot.http_server import LoopHttpServer
from fxbot.ops.metrics import Metrics
from fxbot.ops.readiness import Readiness
from fxbot.storage.database import Database
from fxbot.storage.errors import StorageError

log = logging.getLogger(__name__)

SCRAPE_DB_TIMEOUT_S = 2.0


class OpsServerError(Exception):
    """The ops endpoint could not listen (the port is taken, the host unknown)."""


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


class OpsServer(LoopHttpServer):
    """Serves the ops routes in a task on the running loop; `start()` returns once it listens."""

    what = "ops endpoint"
    error = OpsServerError
    task_name = "fxbot-ops"
