"""Test clocks that move only when told: `ManualClock` (read and advance) and `VirtualClock` (plus a fake sleep)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class ManualClock:
    """A float (monotonic-style) clock starting at `start`; set `now` or call `advance` to move it."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _never_busy() -> bool:
    return False


class VirtualClock(ManualClock):
    """A ManualClock whose `sleep(s)` jumps time forward by `s` instead of waiting, deterministically.

    Time never jumps past work that real time would have let finish first: while `busy()` is true
    (work under way whose end wakes the sleeper's owner, which then cancels the sleep, e.g. a
    notifier's sends in flight) the sleep waits for that cancellation instead of jumping. Inside
    `with clock.held():` every sleep waits, so a test can do several things at one instant.
    No real time is involved: the outcome depends on the order of events only, never on speed.
    """

    def __init__(self, start: float = 1000.0, busy: Callable[[], bool] = _never_busy) -> None:
        super().__init__(start)
        self.busy = busy
        self.sleeps: list[float] = []
        self._free = asyncio.Event()
        self._free.set()

    async def sleep(self, seconds: float) -> None:
        await self._free.wait()
        if self.busy():
            await asyncio.Future()  # cancelled by the owner when the work under way wakes it
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)

    @contextmanager
    def held(self) -> Iterator[None]:
        """Time stands still inside the block: sleeps started meanwhile jump only when it ends."""
        self._free.clear()
        try:
            yield
        finally:
            self._free.set()


class _Call:
    def __init__(self, when: float, order: int, callback: Callable[..., object], args: tuple[object, ...]) -> None:
        self.when, self.order, self.callback, self.args = when, order, callback, args
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class ManualTimers(ManualClock):
    """An event loop's `time()` and `call_later()` on a ManualClock: `advance(s)` runs what falls due, in order."""

    def __init__(self, start: float = 1000.0) -> None:
        super().__init__(start)
        self._calls: list[_Call] = []
        self._order = 0

    def time(self) -> float:
        return self.now

    def call_later(self, delay: float, callback: Callable[..., object], *args: object) -> _Call:
        self._order += 1
        call = _Call(self.now + max(0.0, delay), self._order, callback, args)
        self._calls.append(call)
        return call

    def advance(self, seconds: float) -> None:
        end = self.now + seconds
        while due := [c for c in self._calls if c.when <= end and not c.cancelled]:
            call = min(due, key=lambda c: (c.when, c.order))
            self._calls.remove(call)
            self.now = max(self.now, call.when)
            call.callback(*call.args)
        self._calls = [c for c in self._calls if not c.cancelled]
        self.now = end
