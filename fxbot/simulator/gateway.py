"""ASGI middleware before /v1 REST: key, scope, account, rate limit, injected faults; 500 on crashes."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fxbot.simulator.auth import KeyRecord, parse_bearer, required_scope
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


async def _answer(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
) -> None:
    await error_response(status, code, message, headers)(scope, receive, send)


@dataclass(frozen=True, slots=True)
class _Refusal:
    status: int
    code: str
    message: str
    headers: dict[str, str] | None = None


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

    def _refusal(self, scope: Scope) -> _Refusal | tuple[KeyRecord, str]:
        """Why a /v1 request is answered without running (in contract order), or its key and account."""
        state = self.state
        method: str = scope.get("method", "GET")
        path: str = scope.get("path", "")
        record = state.keys.lookup(parse_bearer(_header(scope, b"authorization")))
        if record is None:
            return _Refusal(
                401, "unauthorized", "missing, unknown or revoked API key (send Authorization: Bearer <key>)"
            )
        needed = required_scope(method, path)
        if not record.scope.allows(needed):
            return _Refusal(
                403,
                "forbidden",
                f"a {record.scope.value} key cannot call {method} {path}; it needs a {needed.value} key",
            )
        try:
            account_id = state.select_account(record, _query_account(scope))
        except SimError as exc:
            return _Refusal(exc.status, exc.code, exc.message)
        retry_after = state.faults.forced_retry_after()
        if retry_after is None:
            retry_after = state.limiter.hit(account_id)
        if retry_after is not None:
            message = (
                f"more than {state.config.rate_limit_per_s} requests per second for account {account_id}; "
                f"retry after {retry_after} s"
            )
            return _Refusal(429, "rate_limited", message, {"Retry-After": str(retry_after)})
        if state.faults.take_fail_before():
            return _Refusal(500, "internal_error", _FAULT_MESSAGE)
        return record, account_id

    async def _gated(self, scope: Scope, receive: Receive, send: Send) -> None:
        latency_s = self.state.faults.latency_ms / 1000.0
        checked = self._refusal(scope)
        if isinstance(checked, _Refusal):
            if latency_s > 0:
                await asyncio.sleep(latency_s)
            await _answer(
                scope, receive, send, checked.status, checked.code, checked.message, checked.headers
            )
            return
        scope.setdefault("state", {})
        scope["state"]["key_record"], scope["state"]["account_id"] = checked
        fail_after = self.state.faults.take_fail_after()
        await self._protected(scope, receive, send, fail_after=fail_after, latency_s=latency_s)

    async def _protected(
        self, scope: Scope, receive: Receive, send: Send, *, fail_after: bool, latency_s: float = 0.0
    ) -> None:
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
                await _answer(
                    scope,
                    receive,
                    send,
                    500,
                    "internal_error",
                    "unexpected simulator error; the request may or may not have taken effect",
                )
            return
        if fail_after:
            if latency_s > 0:
                await asyncio.sleep(latency_s)
            await _answer(scope, receive, send, 500, "internal_error", _FAULT_MESSAGE)
