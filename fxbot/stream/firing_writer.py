"""FiringWriter: persists quote firings in bursts: one transaction for all handed over since the last.

The stream reader hands each quote's firings over and goes on reading; one writer task persists
everything handed over while its previous transaction ran (`AlertService.deliver`: outbox rows and
fire states, all or nothing). Under a storm the batches grow, so the database keeps up with one
commit per burst instead of one per quote. While firings keep coming (the last write ended less than
`linger_s` ago) the writer waits `linger_s` before the next transaction, so a steady flow of one firing a
quote is written a few dozen at a time rather than one transaction each (a transaction of one firing costs
~10x the CPU of one firing in a burst of 100); the first firing after a quiet spell is written at once. A
bound on what waits unwritten makes the reader wait (backpressure) and ends a wait early, as does `drain`.
A batch whose transaction failed goes back to the front, so a stop still writes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from fxbot.alerts.firing import Firing

log = logging.getLogger(__name__)

MAX_UNWRITTEN = 5_000
"""Firings waiting for their transaction before the reader waits for the writer."""
LINGER_S = 0.01
"""How long the writer collects firings before a transaction while they keep coming (a commit delay): what it
adds to a notification's way out is small beside a chat platform's own, and it is never a reason to lose one
(what no transaction stored fires again from the stored state after a crash)."""


class FiringWriter:
    """Runs `deliver(batch)` for everything submitted since the last call; `after(batch)` once it is written."""

    def __init__(self, deliver: Callable[[list[Firing]], Awaitable[int]],
                 after: Callable[[list[Firing]], Awaitable[None]] | None = None, *,
                 max_unwritten: int = MAX_UNWRITTEN, linger_s: float = LINGER_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._deliver = deliver
        self._after = after
        self._max = max_unwritten
        self._linger_s = linger_s
        self._clock = clock
        self._unwritten: list[Firing] = []
        self._writing = False
        self._wake = asyncio.Event()
        self._progress = asyncio.Event()
        self._flush = asyncio.Event()  # ends a linger: too much unwritten, or drain()
        self._last_write = float("-inf")  # when the last transaction ended (clock)

    @property
    def unwritten(self) -> int:
        return len(self._unwritten)

    async def submit(self, firings: Sequence[Firing]) -> None:
        """Hand firings over; waits only while too many are unwritten."""
        self._unwritten.extend(firings)
        self._wake.set()
        while len(self._unwritten) >= self._max:
            self._flush.set()
            self._progress.clear()
            await self._progress.wait()

    async def drain(self) -> None:
        """Wait until everything submitted so far is written (the writer task must be running)."""
        while self._unwritten or self._writing:
            self._wake.set()
            self._flush.set()
            self._progress.clear()
            await self._progress.wait()

    async def run(self) -> None:
        """The writer task: write bursts until cancelled; on cancellation, one last (shielded) write."""
        try:
            while True:
                await self._wake.wait()
                if self._clock() - self._last_write < self._linger_s:
                    await self._linger()
                self._wake.clear()
                await self._write()
        finally:
            if self._unwritten:
                with contextlib.suppress(Exception):
                    await asyncio.shield(self._write())

    async def _write(self) -> None:
        while self._unwritten:
            batch, self._unwritten = self._unwritten, []
            self._writing = True
            self._flush.clear()  # asked for before this batch: it is being written
            try:
                await self._deliver(batch)
            except BaseException:
                self._unwritten[:0] = batch  # not committed: written by the next try (or the last one)
                raise
            finally:
                self._writing = False
                self._last_write = self._clock()
                self._progress.set()
            if self._after is not None:
                try:
                    await self._after(batch)
                except Exception:
                    log.exception("after writing %d firings", len(batch))
        self._progress.set()

    async def _linger(self) -> None:
        """Firings keep coming: let more land before the next transaction (cut short by a flush)."""
        if self._flush.is_set() or len(self._unwritten) >= self._max:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._linger_s):
                await self._flush.wait()
