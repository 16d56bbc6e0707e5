"""Client-side request pacing: at most N requests per sliding window per rate-limit bucket (account)."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

PRUNE_INTERVAL_S = 60.0
"""How often (at most) buckets that no longer hold anything back are dropped."""


@dataclass(slots=True)
class _Bucket:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    finished: deque[float] = field(default_factory=deque)  # completion times, oldest first
    in_flight: int = 0
    waiting: int = 0  # callers inside acquire(): they hold a reference to this bucket
    blocked_until: float = 0.0

    def idle(self, now: float, span: float) -> bool:
        """Nothing in flight, nobody waiting, no pause and no request still inside its window."""
        return (self.in_flight == 0 and self.waiting == 0 and self.blocked_until <= now
                and (not self.finished or self.finished[-1] <= now - span))


class RequestPacer:
    """Keeps every bucket (normally an account id) under `max_requests` per `window_s` seconds.

    The server counts a request when it arrives, which the client cannot see. So a request counts
    from the moment it is started until `window_s` after it *finished* (answer, error or timeout):
    the server surely received it before it finished, hence no server-side window can hold more
    than `max_requests`, whatever the queueing or network delays. Callers of one bucket wait in
    FIFO order (an `asyncio.Lock`), sleeping — never spinning. One pacer may be shared by many
    clients. Use `async with pacer.slot(key): ...` around each request (or `acquire`/`release`).
    To effectively disable pacing (benchmarks) use `RequestPacer(max_requests=10**9)`.
    `clock` and `sleep` are injectable for tests (a fake clock whose sleep advances time).
    Buckets that hold nothing back any more are dropped every PRUNE_INTERVAL_S (accounts come and go).
    """

    def __init__(
        self,
        max_requests: int = 60,
        window_s: float = 1.0,
        *,
        margin_s: float = 0.01,
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
        self._pruned_at = clock()

    @property
    def bucket_count(self) -> int:
        """How many buckets are kept (for tests and health checks)."""
        return len(self._buckets)

    def forget_idle(self) -> int:
        """Drop the buckets that no longer constrain anything; returns how many."""
        now = self._clock()
        self._pruned_at = now
        span = self.window_s + self.margin_s
        idle = [key for key, bucket in self._buckets.items() if bucket.idle(now, span)]
        for key in idle:
            del self._buckets[key]
        return len(idle)

    def __repr__(self) -> str:
        return f"RequestPacer(max_requests={self.max_requests}, window_s={self.window_s})"

    def _bucket(self, key: str) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket()
        return bucket

    def delay_for(self, key: str) -> float | None:
        """Seconds a new request of `key` must wait now: 0 if it may go, None if it must wait for a
        request in flight to finish first."""
        bucket = self._bucket(key)
        now = self._clock()
        span = self.window_s + self.margin_s
        while bucket.finished and bucket.finished[0] <= now - span:
            bucket.finished.popleft()
        delay = bucket.blocked_until - now
        if bucket.in_flight + len(bucket.finished) >= self.max_requests:
            if not bucket.finished:
                return None
            delay = max(delay, bucket.finished[0] + span - now)
        return max(delay, 0.0)

    async def acquire(self, key: str) -> None:
        """Wait (FIFO per bucket) until one more request of `key` may start; pair with `release(key)`."""
        if self._clock() - self._pruned_at >= PRUNE_INTERVAL_S:
            self.forget_idle()
        bucket = self._bucket(key)
        if not bucket.waiting and not bucket.lock.locked() and self.delay_for(key) == 0:
            bucket.in_flight += 1  # nobody queued and room now: what the lock below would do, without its cost
            return
        bucket.waiting += 1
        try:
            async with bucket.lock:
                while (delay := self.delay_for(key)) != 0:
                    if delay is None:
                        bucket.released.clear()
                        await bucket.released.wait()
                    else:
                        await self._sleep(delay)
                bucket.in_flight += 1
        finally:
            bucket.waiting -= 1

    def release(self, key: str) -> None:
        """The request started by `acquire(key)` has finished (in any way)."""
        bucket = self._bucket(key)
        bucket.in_flight = max(bucket.in_flight - 1, 0)
        bucket.finished.append(self._clock())
        bucket.released.set()

    def slot(self, key: str) -> _Slot:
        """`async with pacer.slot(key):` around one request."""
        return _Slot(self, key)

    def pause(self, key: str, seconds: float) -> None:
        """Hold every request of bucket `key` for `seconds` (after a 429 with `Retry-After`)."""
        bucket = self._bucket(key)
        bucket.blocked_until = max(bucket.blocked_until, self._clock() + max(seconds, 0.0))


class _Slot:
    """One request's place in its bucket (a plain class: cheaper per request than a generator-based manager)."""

    __slots__ = ("_key", "_pacer")

    def __init__(self, pacer: RequestPacer, key: str) -> None:
        self._pacer = pacer
        self._key = key

    async def __aenter__(self) -> None:
        await self._pacer.acquire(self._key)

    async def __aexit__(self, *exc_info: object) -> None:
        self._pacer.release(self._key)
