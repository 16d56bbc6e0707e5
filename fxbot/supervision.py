"""Supervised background tasks: a crashing service coroutine is logged and restarted with backoff."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

STABLE_RUN_S = 60.0


async def supervise(
    name: str,
    run: Callable[[], Awaitable[None]],
    *,
    min_backoff_s: float = 1.0,
    max_backoff_s: float = 60.0,
    on_restart: Callable[[str], None] | None = None,
) -> None:
    """Run `run()` until cancelled; when it raises (or returns early) log it and start it again.

    The wait doubles after each quick failure up to `max_backoff_s`, and starts over after a run
    that lasted at least STABLE_RUN_S. Cancellation (the app stopping) is never swallowed.
    `on_restart(name)` is told of each restart (the ops metrics).
    """
    if min_backoff_s <= 0 or max_backoff_s < min_backoff_s:
        raise ValueError("backoffs must be positive and max_backoff_s >= min_backoff_s")
    loop = asyncio.get_running_loop()
    delay = min_backoff_s
    while True:
        started = loop.time()
        try:
            await run()
            log.warning("%s stopped on its own; restarting in %.1f s", name, delay)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s crashed; restarting in %.1f s", name, delay)
        if on_restart is not None:
            on_restart(name)
        if loop.time() - started >= STABLE_RUN_S:
            delay = min_backoff_s
        await asyncio.sleep(delay)
        delay = min(delay * 2, max_backoff_s)
