"""A monotonic clock for tests that moves only when told: `clock()` reads it, `clock.advance(s)` moves it."""

from __future__ import annotations


class ManualClock:
    """A float (monotonic-style) clock starting at `start`; set `now` or call `advance` to move it."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
