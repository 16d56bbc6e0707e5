"""Long lists of firings (a start storm, a sweep of expired rules) persisted in chunks, the loop free between two."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fxbot.alerts.firing import Firing

FIRINGS_CHUNK = 1_000
"""Firings per transaction (or per hand-over to the stream's writer) when a list is longer: a quote crossing a
large share of a big book never waits as one burst of rendered texts and outbox rows, and the ops endpoint and
the chats are answered between two chunks."""
TRIM_AFTER = 10_000
"""After this many firings at once, the heap pages their objects held are handed back to the OS (a start storm's
hundreds of MB would otherwise stay resident: glibc keeps freed pages; alerts.cold_load.release_unused_heap)."""


async def deliver_in_chunks(deliver: Callable[[list[Firing]], Awaitable[int]], firings: list[Firing],
                            chunk: int = FIRINGS_CHUNK) -> int:
    """`deliver` the firings in order, `chunk` at a time (each call one transaction: outbox rows and fire states
    together), yielding the loop between two; the list is emptied as it goes, so what is written is freed while
    the rest waits. A crash between two chunks loses nothing: the rules of the chunks not written keep their
    stored state and fire again (the same notification keys) after the restart. Returns deliver's total."""
    chunk = max(1, chunk)
    if len(firings) <= chunk:
        return await deliver(firings)
    firings.reverse()  # taken from the end: each chunk leaves the list without moving the rest
    total = 0
    while firings:
        part = firings[-chunk:]
        del firings[-chunk:]
        part.reverse()
        total += await deliver(part)
        if firings:
            await asyncio.sleep(0)
    return total
