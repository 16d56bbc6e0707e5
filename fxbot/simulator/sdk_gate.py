"""ASGI middleware before the SDK face's REST routes: key, scope, account, rate limit, terminal state, faults."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fxbot.domain.access import Scope as KeyScope
from fxbot.simulator.auth import KeyRecord
from fxbot.simulator.sdk_errors import TERMINAL_PREFIX, TIMEOUT, error_response, is_management
from fxbot.simulator.sdk_face import SdkFace
from fxbot.simulator.state import SimState

log = logging.getLogger(__name__)

# Health probes answer whatever the terminal's state (that is what they are for).
_ALWAYS_ANSWERED = frozenset({"status", "healthz", "livez"})
_TIMEOUT_MESSAGE = "the terminal did not answer in time; the request may or may not have been executed"
_FAULT_MESSAGE = "internal server error; the request may or may not have taken effect"


@dataclass(frozen=True, slots=True)
class _Refusal:
    status: int
    code: str
    message: str
    headers: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class _Passed:
    record: KeyRecord
    key: str
    account_id: str | None  # None on the management API


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def terminal_target(path: str) -> tuple[str, str] | None:
    """(account id, endpoint) of a terminal path `/sdk/t/{account}/{endpoint}`, else None."""
    if not path.startswith(TERMINAL_PREFIX):
        return None
    account_id, _, endpoint = path[len(TERMINAL_PREFIX) :].partition("/")
    return (account_id, endpoint) if account_id else None


def key_bucket(key: str) -> str:
    """A rate-limit bucket for a key's management calls that does not hold the key itself."""
    return "sdk-key:" + hashlib.sha256(key.encode()).hexdigest()[:16]


class SdkGate:
    """Checks every SDK-face HTTP request (`/sdk/v1/…`, `/sdk/t/…`); WebSockets are checked by their route."""

    def __init__(self, app: ASGIApp, state: SimState, face: SdkFace) -> None:
        self.app = app
        self.state = state
        self.face = face

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not (is_management(path) or terminal_target(path)):
            await self.app(scope, receive, send)
            return
        latency_s = self.state.faults.latency_ms / 1000.0
        checked = self._check(scope)
        if isinstance(checked, _Refusal):
            if latency_s > 0:
                await asyncio.sleep(latency_s)
            await self._answer(scope, receive, send, checked)
            return
        scope.setdefault("state", {})
        scope["state"]["sdk_key"] = checked.key
        scope["state"]["sdk_record"] = checked.record
        scope["state"]["sdk_account"] = checked.account_id
        await self._run(scope, receive, send, self.state.faults.take_fail_after(), latency_s)

    def _check(self, scope: Scope) -> _Refusal | _Passed:
        """Why the request is answered without running (in this order), or what it may act as."""
        state = self.state
        path: str = scope.get("path", "")
        method: str = scope.get("method", "GET")
        key = _header(scope, b"x-api-key")
        record = state.keys.lookup_sdk(key)
        if record is None or key is None:
            return _Refusal(
                401, "unauthorized", "missing, unknown or revoked API key (send X-API-Key: fxs_live_… or fxs_ro_…)"
            )
        if method not in ("GET", "HEAD") and not record.scope.allows(KeyScope.TRADE):
            return _Refusal(403, "forbidden", f"a read-only key (fxs_ro_…) cannot call {method} {path}")
        target = terminal_target(path)
        account_id = None if target is None else target[0]
        if account_id is not None:
            engine = self.face.engine
            if account_id not in engine.account_ids():
                return _Refusal(404, "not_found", f"no terminal for account {account_id!r}")
            if account_id not in state.reachable_accounts(record):
                return _Refusal(401, "unauthorized", f"this key does not give access to account {account_id}")
        retry_after = state.faults.forced_retry_after()
        if retry_after is None:
            retry_after = state.limiter.hit(account_id if account_id is not None else key_bucket(key))
        if retry_after is not None:
            return _Refusal(429, "rate_limited", f"too many requests; retry after {retry_after} s",
                            {"Retry-After": str(retry_after)})  # fmt: skip
        if target is not None and target[1] not in _ALWAYS_ANSWERED:
            status = self.face.engine.account_status(target[0])
            if status != "connected":
                return _Refusal(503, "terminal_not_ready",
                                f"the trade EA of account {target[0]} is not ready (account {status}); "
                                "nothing was done")  # fmt: skip
        if state.faults.take_fail_before():
            return self._fault(path)
        return _Passed(record, key, account_id)

    @staticmethod
    def _fault(path: str) -> _Refusal:
        if is_management(path):
            return _Refusal(500, "internal_error", _FAULT_MESSAGE)
        return _Refusal(504, TIMEOUT, _TIMEOUT_MESSAGE)

    async def _answer(self, scope: Scope, receive: Receive, send: Send, refusal: _Refusal) -> None:
        path: str = scope.get("path", "")
        response = error_response(
            path, refusal.status, refusal.code, refusal.message, self.face.command_ids.next(), refusal.headers
        )
        await response(scope, receive, send)

    async def _run(self, scope: Scope, receive: Receive, send: Send, fail_after: bool, latency_s: float) -> None:
        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if fail_after:
                return  # the request runs; its answer is replaced by the fault once it has finished
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
                await self._answer(scope, receive, send, _Refusal(500, "internal_error", _FAULT_MESSAGE))
            return
        if fail_after:
            if latency_s > 0:
                await asyncio.sleep(latency_s)
            await self._answer(scope, receive, send, self._fault(scope.get("path", "")))
