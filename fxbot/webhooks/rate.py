"""A per-endpoint request budget: at most `limit` requests in any `window_s` seconds (a sliding log)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable


class RateLimiter:
    """Admits at most `limit` requests per key in any `window_s`; `clock` is monotonic seconds."""

    def __init__(self, limit: int, window_s: float, clock: Callable[[], float]) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError("limit must be >= 1 and window_s > 0")
        self._limit = limit
        self._window_s = window_s
        self._clock = clock
        self._seen: dict[int, deque[float]] = {}

    def admit(self, key: int) -> bool:
        """True (and counted) when `key` is within its budget; False when it is over."""
        now = self._clock()
        log = self._seen.setdefault(key, deque())
        while log and now - log[0] >= self._window_s:
            log.popleft()
        if len(log) >= self._limit:
            return False
        log.append(now)
        return True
