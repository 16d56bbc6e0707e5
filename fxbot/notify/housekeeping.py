"""The notifier's start-up housekeeping (purges, platforms it cannot serve) and its wait for the next wake-up."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Container

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


async def warn_untargeted(outbox: Outbox, platforms: Container[str]) -> None:
    """Say once at start which platforms' notifications wait with no delivery target here (this process
    never claims them; another delivery process, or a restart with that platform enabled, sends them)."""
    try:
        waiting = await outbox.pending_platforms()
    except Exception:
        logger.warning("outbox: counting waiting notifications per platform failed", exc_info=True)
        return
    for platform, count in sorted(waiting.items()):
        if platform not in platforms:
            logger.warning("notifier: no delivery target for platform %r here; its %d notifications wait in the"
                           " outbox", platform, count)


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
