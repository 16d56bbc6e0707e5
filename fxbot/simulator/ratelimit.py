"""Per-account sliding one-second window rate limiter for the simulator's REST API."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable


class SlidingWindowLimiter:
    """At most `limit` accepted requests per account in any `window_s` span; refused ones don't count."""

    def __init__(
        self, limit: int, window_s: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}

    def hit(self, account_id: str) -> int | None:
        """Record a request; None when allowed, else the whole seconds (>= 1) to wait before retrying."""
        now = self._clock()
        hits = self._hits.setdefault(account_id, deque())
        horizon = now - self.window_s
        while hits and hits[0] <= horizon:
            hits.popleft()
        if len(hits) >= self.limit:
            return max(1, math.ceil(hits[0] + self.window_s - now))
        hits.append(now)
        return None

    def clear(self) -> None:
        self._hits.clear()
