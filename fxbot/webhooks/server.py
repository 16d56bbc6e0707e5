"""The webhook receiver's own HTTP server (uvicorn on the app's loop), apart from the ops endpoint: it faces the
internet, the ops routes should not."""

from __future__ import annotations

from fastapi import FastAPI

from fxbot.http_server import LoopHttpServer


class WebhookServerError(Exception):
    """The receiver could not listen (the port is taken, the host unknown)."""


class WebhookServer(LoopHttpServer):
    """Serves the receiver in a task; `start()` returns once it listens. No access log (paths hold tokens)."""

    what = "webhook receiver"
    error = WebhookServerError
    task_name = "fxbot-webhooks"

    def __init__(self, app: FastAPI, *, host: str, port: int) -> None:
        # proxy_headers off: uvicorn would otherwise take X-Forwarded-For from any loopback peer; which proxies
        # are trusted is the receiver's decision (webhooks.trusted_proxies).
        super().__init__(app, host=host, port=port, proxy_headers=False)
