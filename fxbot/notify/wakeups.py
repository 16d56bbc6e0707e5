"""The notifier's wake-ups from outside its own outbox: other processes' enqueues, and its lease-renewing tick."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from fxbot.notify.destination import Destinations
from fxbot.notify.lease import OutboxLease
from fxbot.notify.outbox import OUTBOX_CHANNEL, Outbox
from fxbot.storage.database import Unlisten

logger = logging.getLogger(__name__)


async def listen_for_enqueues(outbox: Outbox, wake: Callable[[], None]) -> Unlisten | None:
    """Wake on every enqueue committed by another Outbox (another process, or another instance in this one);
    this outbox's own enqueues already woke the notifier in-process. None when the database cannot listen
    (the periodic tick still finds the rows, later)."""

    def heard(payload: str) -> None:
        if payload != outbox.origin:  # "*reconnect*" too: notifications may have been missed meanwhile
            wake()

    try:
        return await outbox.database.listen(OUTBOX_CHANNEL, heard)
    except Exception:
        logger.warning("notifier: cannot listen for other processes' notifications; polling only", exc_info=True)
        return None


async def stop_listening(unlisten: Unlisten | None) -> None:
    if unlisten is None:
        return
    try:
        await unlisten()
    except Exception:
        logger.warning("notifier: stopping to listen failed", exc_info=True)


async def keep_lease(
    lease: OutboxLease,
    every_s: float,
    held: Callable[[], set[int]],
    lost: Callable[[set[int]], None],
    wake: Callable[[], None],
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Every `every_s` seconds (real time): renew the lease on the rows held, hand `lost` those held before the
    renewal that it no longer covers (another process took them after a lapse), then `wake` (a poll: rows a
    missed notification or a dead process's lapsed lease left). Runs until cancelled."""
    while True:
        await sleep(every_s)
        before = held()
        try:
            renewed = await lease.renew()
        except Exception:
            logger.warning("notifier: renewing the outbox lease failed; retrying in %.0f s", every_s, exc_info=True)
        else:
            if before - renewed:
                lost(before - renewed)
        wake()


class LoopWakeups:
    """What runs beside the notifier's loop: the listener for other processes' enqueues and the lease keeper.

    `start` when the loop starts, `stop` before it releases its rows (so no renewal follows the release)."""

    def __init__(
        self,
        outbox: Outbox,
        lease: OutboxLease,
        destinations: Callable[[], Destinations],
        wake: Callable[[], None],
        *,
        every_s: float,
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self._outbox = outbox
        self._lease = lease
        self._destinations = destinations
        self._wake = wake
        self._every_s = every_s
        self._sleep = sleep
        self._keeper: asyncio.Task[None] | None = None
        self._unlisten: Unlisten | None = None

    async def start(self) -> None:
        self._keeper = asyncio.create_task(keep_lease(
            self._lease, self._every_s, lambda: self._destinations().held_ids(), self._lost, self._wake,
            sleep=self._sleep))
        self._unlisten = await listen_for_enqueues(self._outbox, self._wake)

    async def stop(self) -> None:
        if self._keeper is not None:
            self._keeper.cancel()
            await asyncio.gather(self._keeper, return_exceptions=True)
            self._keeper = None
        await stop_listening(self._unlisten)
        self._unlisten = None

    def _lost(self, ids: set[int]) -> None:
        """The lease on these items lapsed and another delivery process claimed them: stop holding them here."""
        if dropped := self._destinations().drop(ids):
            logger.warning("notifier: the lease on %d notifications lapsed and another delivery process took"
                           " them; a send of them under way here may deliver them twice", dropped)
