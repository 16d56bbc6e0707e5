"""The notifier's start-up housekeeping and its wait for the next wake-up or due time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from fxbot.notify.actions import TokenMinter
from fxbot.notify.outbox import Outbox

logger = logging.getLogger(__name__)


async def purge_at_start(outbox: Outbox, buttons: TokenMinter | None) -> None:
    """Forget delivered notifications past the dedupe window and long-expired button tokens; a failure is
    logged and delivery goes on without it."""
    try:
        purged = await outbox.purge_finished()
    except Exception:  # housekeeping only: delivery goes on without it
        logger.warning("outbox: purging old delivered notifications failed", exc_info=True)
    else:
        if purged:
            logger.info("outbox: purged %d delivered notifications past the dedupe window", purged)
    if buttons is not None:
        try:
            await buttons.purge()
        except Exception:
            logger.warning("notify: forgetting expired button tokens failed", exc_info=True)


async def wake_or_sleep(wake: asyncio.Event, delay: float | None, sleep: Callable[[float], Awaitable[None]]) -> None:
    """Return when `wake` is set or, with a `delay`, once it has passed (on the notifier's own sleep)."""
    if wake.is_set():
        return
    if delay is None:
        await wake.wait()
        return
    waiter = asyncio.ensure_future(wake.wait())
    sleeper = asyncio.ensure_future(sleep(delay))
    try:
        await asyncio.wait((waiter, sleeper), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (waiter, sleeper):
            task.cancel()
        await asyncio.gather(waiter, sleeper, return_exceptions=True)
