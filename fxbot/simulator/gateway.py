"""ASGI middleware in front of /v1 REST: key, scope, account, rate limit and injected faults; 500 on crashes."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fxbot.simulator.auth import parse_bearer, required_scope
from fxbot.simulator.errors import SimError
from fxbot.simulator.http_errors import error_response
from fxbot.simulator.state import SimState

log = logging.getLogger(__name__)

# Injected faults look exactly like a real server fault: the client cannot tell whether it executed.
_FAULT_MESSAGE = "internal server error; the request may or may not have taken effect"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def _query_account(scope: Scope) -> str | None:
    query = bytes(scope.get("query_string", b"")).decode("latin-1")
    values = parse_qs(query, keep_blank_values=True).get("account_id")
    return values[-1] if values else None


async def _answer(scope: Scope, receive: Receive, send: Send, status: int, code: str, message: str,
                  headers: dict[str, str] | None = None) -> None:
    await error_response(status, code, message, headers)(scope, receive, send)


class V1Gate:
    """Checks every /v1 HTTP request before the routes run; other paths only get crash protection."""

    def __init__(self, app: ASGIApp, state: SimState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if path == "/v1" or path.startswith("/v1/"):
            await self._gated(scope, receive, send)
        else:
            await self._protected(scope, receive, send, fail_after=False)

    async def _gated(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.state
        method: str = scope.get("method", "GET")
        path: str = scope.get("path", "")
        record = state.keys.lookup(parse_bearer(_header(scope, b"authorization")))
        if record is None:
            await _answer(scope, receive, send, 401, "unauthorized",
                          "missing, unknown or revoked API key (send Authorization: Bearer <key>)")
            return
        needed = required_scope(method, path)
        if not record.scope.allows(needed):
            await _answer(scope, receive, send, 403, "forbidden",
                          f"a {record.scope.value} key cannot call {method} {path}; it needs a {needed.value} key")
            return
        try:
            account_id = state.select_account(record, _query_account(scope))
        except SimError as exc:
            await _answer(scope, receive, send, exc.status, exc.code, exc.message)
            return
        retry_after = state.faults.forced_retry_after()
        if retry_after is None:
            retry_after = state.limiter.hit(account_id)
        if retry_after is not None:
            await _answer(scope, receive, send, 429, "rate_limited",
                          f"more than {state.config.rate_limit_per_s} requests per second for account "
                          f"{account_id}; retry after {retry_after} s",
                          {"Retry-After": str(retry_after)})
            return
        if state.faults.take_fail_before():
            await _answer(scope, receive, send, 500, "internal_error", _FAULT_MESSAGE)
            return
        scope.setdefault("state", {})
        scope["state"]["key_record"] = record
        scope["state"]["account_id"] = account_id
        await self._protected(scope, receive, send, fail_after=state.faults.take_fail_after(),
                              latency_s=state.faults.latency_ms / 1000.0)

    async def _protected(self, scope: Scope, receive: Receive, send: Send, *, fail_after: bool,
                         latency_s: float = 0.0) -> None:
        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if fail_after:
                return  # swallow the real answer; a 500 goes out once the app has finished
            if message["type"] == "http.response.start":
                if latency_s > 0:
                    await asyncio.sleep(latency_s)
                started = True
            await send(message)

        try:
            await self.app(scope, receive, guarded_send)
        except Exception:
            log.exception("unexpected error while answering %s %s", scope.get("method"), scope.get("path"))
            if not started:
                await _answer(scope, receive, send, 500, "internal_error",
                              "unexpected simulator error; the request may or may not have taken effect")
            return
        if fail_after:
            if latency_s > 0:
                await asyncio.sleep(latency_s)
            await _answer(scope, receive, send, 500, "internal_error", _FAULT_MESSAGE)

