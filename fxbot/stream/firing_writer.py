"""FiringWriter: persists quote firings in bursts: one transaction for all handed over since the last.

The stream reader hands each quote's firings over and goes on reading; one writer task persists
everything handed over while its previous transaction ran (`AlertService.deliver`: outbox rows and
fire states, all or nothing). Under a storm the batches grow, so the database keeps up with one
commit per burst instead of one per quote. A bound on what waits unwritten makes the reader wait
(backpressure). A batch whose transaction failed goes back to the front, so a stop still writes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from fxbot.alerts.firing import Firing

log = logging.getLogger(__name__)

MAX_UNWRITTEN = 5_000
"""Firings waiting for their transaction before the reader waits for the writer."""


class FiringWriter:
    """Runs `deliver(batch)` for everything submitted since the last call; `after(batch)` once it is written."""

    def __init__(self, deliver: Callable[[list[Firing]], Awaitable[int]],
                 after: Callable[[list[Firing]], Awaitable[None]] | None = None, *,
                 max_unwritten: int = MAX_UNWRITTEN) -> None:
        self._deliver = deliver
        self._after = after
        self._max = max_unwritten
        self._unwritten: list[Firing] = []
        self._writing = False
        self._wake = asyncio.Event()
        self._progress = asyncio.Event()

    @property
    def unwritten(self) -> int:
        return len(self._unwritten)

    async def submit(self, firings: Sequence[Firing]) -> None:
        """Hand firings over; waits only while too many are unwritten."""
        self._unwritten.extend(firings)
        self._wake.set()
        while len(self._unwritten) >= self._max:
            self._progress.clear()
            await self._progress.wait()

    async def drain(self) -> None:
        """Wait until everything submitted so far is written (the writer task must be running)."""
        while self._unwritten or self._writing:
            self._wake.set()
            self._progress.clear()
            await self._progress.wait()

    async def run(self) -> None:
        """The writer task: write bursts until cancelled; on cancellation, one last (shielded) write."""
        try:
            while True:
                await self._wake.wait()
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
            try:
                await self._deliver(batch)
            except BaseException:
                self._unwritten[:0] = batch  # not committed: written by the next try (or the last one)
                raise
            finally:
                self._writing = False
                self._progress.set()
            if self._after is not None:
                try:
                    await self._after(batch)
                except Exception:
                    log.exception("after writing %d firings", len(batch))
        self._progress.set()
