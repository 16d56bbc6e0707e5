"""Runs one official-SDK call: request pacing per account, the retry policy, and translation to port errors.

The policy is the `/v1` transport's (fxbot.fxsocket.transport.RestTransport), since the SDK retries
nothing on its own:
- 429 (reads and writes): nothing was executed; wait `Retry-After` (capped) and send again, at most
  `max_rate_limit_retries` times, then RateLimitedError.
- reads: network failures, 5xx (a terminal restarting, a 504) are retried `read_retries` times with
  exponential backoff and jitter.
- writes: never sent again once they may have reached the terminal; see `sdk_errors.translate`.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

import fxsocket

from fxbot.backends.sdk_errors import is_transient, translate
from fxbot.fxsocket.pacing import RequestPacer

log = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


class SdkCaller:
    """Paces, retries and translates SDK calls; one per key context (the pacer is shared by all)."""

    def __init__(self, pacer: RequestPacer, *, read_retries: int = 2, backoff_base_s: float = 0.25,
                 max_rate_limit_retries: int = 3, max_retry_after_s: float = 30.0,
                 sleep: Sleep = asyncio.sleep) -> None:
        self.pacer = pacer
        self.read_retries = read_retries
        self.backoff_base_s = backoff_base_s
        self.max_rate_limit_retries = max_rate_limit_retries
        self.max_retry_after_s = max_retry_after_s
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"SdkCaller(read_retries={self.read_retries}, max_rate_limit_retries={self.max_rate_limit_retries})"

    def _backoff(self, attempt: int) -> float:
        ceiling: float = self.backoff_base_s * (2**attempt)
        return ceiling / 2 + random.uniform(0.0, ceiling / 2)

    async def call(self, fn: Callable[[], Awaitable[T]], *, bucket: str, write: bool, what: str) -> T:
        """The result of `fn()` (one SDK call), paced in `bucket`; a port error (BrokerError) otherwise."""
        rate_limited = failures = 0
        while True:
            try:
                async with self.pacer.slot(bucket):
                    return await fn()
            except Exception as exc:
                log.debug("fxsocket sdk: %s -> %s", what, type(exc).__name__)
                if isinstance(exc, fxsocket.RateLimitError):
                    wait = exc.retry_after if exc.retry_after is not None else self._backoff(rate_limited)
                    if rate_limited < self.max_rate_limit_retries and wait <= self.max_retry_after_s:
                        rate_limited += 1
                        self.pacer.pause(bucket, max(wait, 0.05))
                        continue
                elif not write and failures < self.read_retries and is_transient(exc):
                    failures += 1
                    await self._sleep(self._backoff(failures - 1))
                    continue
                raise translate(exc, write=write, what=what) from exc
