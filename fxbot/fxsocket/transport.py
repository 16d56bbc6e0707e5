"""Sends one FxSocket REST request: auth, pacing, 429 waits, GET-only retries and error mapping."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx
import orjson

from fxbot.fxsocket.errors import (
    ConnectionFailedError,
    InvalidArgumentError,
    OutcomeUnknownError,
    RateLimitedError,
    ServerError,
    UnexpectedResponseError,
    error_from_response,
)
from fxbot.fxsocket.pacing import RequestPacer

logger = logging.getLogger(__name__)

Params = Mapping[str, str | int | float]
Sleep = Callable[[float], Awaitable[None]]

# Raised by httpx before a single byte of the request left this process: safe to call "not sent".
_NOT_SENT_ERRORS: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
)


def normalise_base_url(base_url: str) -> str:
    """`https://api.fxsocket.com`, `.../` and `.../v1` all become the root the `/v1/...` paths hang off."""
    root = base_url.strip().rstrip("/")
    if root.endswith("/v1"):
        root = root[: -len("/v1")]
    if not root.startswith(("http://", "https://")):
        raise ValueError("base_url must start with http:// or https://")
    return root


def check_api_key(api_key: str) -> None:
    """Refuse, before anything is sent, a key an HTTP header cannot carry (the message never shows it)."""
    if not api_key:
        raise InvalidArgumentError("the API key is empty")
    if not api_key.isascii() or not api_key.isprintable() or any(ch.isspace() for ch in api_key):
        raise InvalidArgumentError("the API key contains characters an API key never has "
                                   "(only printable ASCII without spaces is possible)")


def key_fingerprint(api_key: str) -> str:
    """A short non-reversible tag of a key, used to name its default pacing bucket (never the key)."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:12]


class RestTransport:
    """Executes requests against `{base_url}/v1/...`; the retry policy lives here and nowhere else.

    - 429 (any method): nothing happened; wait `Retry-After` (capped) and resend, up to
      `max_rate_limit_retries`, then raise `RateLimitedError`.
    - GET: connection errors, timeouts and 5xx are retried `get_retries` times with exponential
      backoff and jitter, then `ConnectionFailedError` / `ServerError`.
    - POST/PATCH/DELETE: never resent after the request may have reached the server (timeout,
      connection lost after sending, 5xx, unreadable 2xx): `OutcomeUnknownError`. A connect error
      (nothing sent) is `ConnectionFailedError`.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        api_key: str,
        base_url: str,
        pacer: RequestPacer,
        max_rate_limit_retries: int,
        get_retries: int,
        backoff_base_s: float,
        timeout_s: float,
        max_retry_after_s: float = 30.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        check_api_key(api_key)
        self._http = http
        self._headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
        self._root = normalise_base_url(base_url)
        self._default_bucket = f"default:{key_fingerprint(api_key)}"
        self.pacer = pacer
        self._max_rate_limit_retries = max_rate_limit_retries
        self._get_retries = get_retries
        self._backoff_base_s = backoff_base_s
        self._timeout = httpx.Timeout(timeout_s)
        self._max_retry_after_s = max_retry_after_s
        self._sleep = sleep
        self.default_account_id: str | None = None

    @property
    def base_url(self) -> str:
        return self._root

    def _bucket(self, account_id: str | None) -> str:
        return account_id or self.default_account_id or self._default_bucket

    def _backoff(self, attempt: int) -> float:
        ceiling: float = self._backoff_base_s * (2**attempt)
        return ceiling / 2 + random.uniform(0.0, ceiling / 2)

    async def request(
        self,
        method: str,
        path: str,
        *,
        account_id: str | None = None,
        params: Params | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> Any:
        """The decoded JSON answer of `method path`; raises a typed `FxSocketError` otherwise."""
        query: dict[str, str | int | float] | None = dict(params) if params else None
        if account_id is not None:
            query = query or {}
            query["account_id"] = account_id
        is_read = method == "GET"
        rate_limited = failures = 0
        while True:
            try:
                async with self.pacer.slot(self._bucket(account_id)):
                    response = await self._http.request(
                        method, self._root + path, params=query, json=body,
                        headers=self._headers, timeout=self._timeout,
                    )
            except httpx.TransportError as exc:
                reason = type(exc).__name__
                logger.debug("fxsocket %s %s -> %s", method, path, reason)
                if isinstance(exc, _NOT_SENT_ERRORS) and not isinstance(exc, httpx.UnsupportedProtocol):
                    if is_read and failures < self._get_retries:
                        failures += 1
                        await self._sleep(self._backoff(failures - 1))
                        continue
                    raise ConnectionFailedError(
                        f"{method} {path}: could not reach the FxSocket API ({reason}); nothing was sent",
                        method=method, path=path,
                    ) from None
                if isinstance(exc, httpx.UnsupportedProtocol):
                    raise ConnectionFailedError(
                        f"{method} {path}: unsupported URL scheme; nothing was sent", method=method, path=path
                    ) from None
                if not is_read:
                    raise OutcomeUnknownError(f"connection problem after sending ({reason})",
                                              method=method, path=path) from None
                if failures < self._get_retries:
                    failures += 1
                    await self._sleep(self._backoff(failures - 1))
                    continue
                raise ConnectionFailedError(
                    f"{method} {path}: the FxSocket API did not answer ({reason}) after "
                    f"{failures + 1} attempts", method=method, path=path,
                ) from None

            status = response.status_code
            logger.debug("fxsocket %s %s -> %d", method, path, status)
            if 200 <= status < 300:
                return self._decode(response, method, path)
            retry_after = response.headers.get("Retry-After")
            error = error_from_response(status, response.content, retry_after=retry_after)
            if isinstance(error, RateLimitedError):
                too_long = error.retry_after > self._max_retry_after_s
                if rate_limited >= self._max_rate_limit_retries or too_long:
                    raise error
                rate_limited += 1
                wait = max(error.retry_after, 0.05)
                self.pacer.pause(self._bucket(account_id), wait)
                continue
            if isinstance(error, ServerError):
                if not is_read:
                    raise OutcomeUnknownError(f"the server answered HTTP {status} ({error.code})",
                                              method=method, path=path, status=status)
                if failures < self._get_retries:
                    failures += 1
                    await self._sleep(self._backoff(failures - 1))
                    continue
            raise error

    @staticmethod
    def _decode(response: httpx.Response, method: str, path: str) -> Any:
        content = response.content
        if not content:
            return None
        try:
            return orjson.loads(content)  # the C parser; what it refuses (NaN, huge integers) the standard one reads
        except ValueError:
            pass
        try:
            return json.loads(content)
        except ValueError:
            status = response.status_code
            if method == "GET":
                raise UnexpectedResponseError(
                    "unexpected_response", f"GET {path}: the answer is not JSON", status=status) from None
            raise OutcomeUnknownError(f"the server answered HTTP {status} with an unreadable body",
                                      method=method, path=path, status=status) from None
