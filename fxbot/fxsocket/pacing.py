"""Client-side request pacing: at most N requests per sliding window per rate-limit bucket (account)."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(slots=True)
class _Bucket:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    sent: deque[float] = field(default_factory=deque)
    blocked_until: float = 0.0


class RequestPacer:
    """Spreads requests so that no window of `window_s` seconds holds more than `max_requests` per bucket.

    A bucket is normally an account id (the API limits 60 requests/s per account). Callers wait in
    FIFO order (an `asyncio.Lock` per bucket), sleeping — never spinning — until a slot is free.
    `margin_s` widens the window slightly so that network jitter cannot push two windows' worth of
    requests into one server-side second. One pacer may be shared by several clients.
    To effectively disable pacing (benchmarks), use `RequestPacer(max_requests=10**9)`.
    `clock` and `sleep` are injectable for tests (a fake clock whose sleep advances time).
    """

    def __init__(
        self,
        max_requests: int = 60,
        window_s: float = 1.0,
        *,
        margin_s: float = 0.02,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if max_requests < 1:
            raise ValueError("max_requests must be at least 1")
        if window_s <= 0 or margin_s < 0:
            raise ValueError("window_s must be > 0 and margin_s >= 0")
        self.max_requests = max_requests
        self.window_s = window_s
        self.margin_s = margin_s
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[str, _Bucket] = {}

    def __repr__(self) -> str:
        return f"RequestPacer(max_requests={self.max_requests}, window_s={self.window_s})"

    def _bucket(self, key: str) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket()
        return bucket

    def delay_for(self, key: str) -> float:
        """Seconds a request in bucket `key` would have to wait right now (0 when a slot is free)."""
        bucket = self._bucket(key)
        now = self._clock()
        span = self.window_s + self.margin_s
        while bucket.sent and bucket.sent[0] <= now - span:
            bucket.sent.popleft()
        delay = bucket.blocked_until - now
        if len(bucket.sent) >= self.max_requests:
            delay = max(delay, bucket.sent[-self.max_requests] + span - now)
        return max(delay, 0.0)

    async def acquire(self, key: str) -> None:
        """Wait (FIFO among callers of the same bucket) until one more request may be sent, and count it."""
        bucket = self._bucket(key)
        async with bucket.lock:
            while (delay := self.delay_for(key)) > 0:
                await self._sleep(delay)
            bucket.sent.append(self._clock())
            if len(bucket.sent) > self.max_requests:
                bucket.sent.popleft()

    def pause(self, key: str, seconds: float) -> None:
        """Hold every request of bucket `key` for `seconds` (after a 429 with `Retry-After`)."""
        bucket = self._bucket(key)
        bucket.blocked_until = max(bucket.blocked_until, self._clock() + max(seconds, 0.0))
