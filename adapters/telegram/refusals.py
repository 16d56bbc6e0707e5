"""Who was already told "this bot is private": bounded (least recently refused forgotten first) and expiring."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

MAX_REMEMBERED = 10_000
REMEMBER_S = 24 * 3600.0


class RefusalMemory:
    """User ids refused recently: each is told once per `remember_s`, and at most `max_size` are kept."""

    def __init__(self, *, max_size: int = MAX_REMEMBERED, remember_s: float = REMEMBER_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if max_size < 1 or not remember_s > 0:
            raise ValueError("max_size must be at least 1 and remember_s positive")
        self._max_size = max_size
        self._remember_s = remember_s
        self._clock = clock
        self._until: OrderedDict[int, float] = OrderedDict()  # user id -> when to forget, oldest first

    def __len__(self) -> int:
        return len(self._until)

    def __repr__(self) -> str:
        return f"RefusalMemory(size={len(self._until)}, max_size={self._max_size})"

    def first_time(self, user_id: int) -> bool:
        """True (and remembered) when this user was not refused within `remember_s`; False otherwise."""
        now = self._clock()
        while self._until and next(iter(self._until.values())) <= now:
            self._until.popitem(last=False)  # expired ones are at the front (same lifetime for all)
        if user_id in self._until:
            return False
        self._until[user_id] = now + self._remember_s
        if len(self._until) > self._max_size:
            self._until.popitem(last=False)
        return True
