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
    """Wake on every enqueue committed through this database, from any process: this outbox's own enqueues
    woke the notifier in-process already, but inside a caller's transaction before their rows were visible
    to another connection (PostgreSQL), so those are heard again here, once committed. `*reconnect*` wakes
    too (notifications may have been missed meanwhile). None when the database cannot listen (the periodic
    tick still finds the rows, later)."""

    def heard(_payload: str) -> None:
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


class LoopWakeups:
    """What runs beside the notifier's loop: the listener for other processes' enqueues and the lease keeper.

    The keeper, every `every_s` seconds (real time), renews the lease (one row, however many are held; after
    a lapse `_lapsed` drops what was taken over), then wakes the notifier: a poll for rows a missed
    notification or a dead process's lapsed lease left. `start` when the loop starts, `stop` before it
    releases its rows: a renewal under way is finished first, never cut off inside its transaction."""

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
        self._renewal: asyncio.Future[None] | None = None
        self._unlisten: Unlisten | None = None

    async def start(self) -> None:
        self._lease.on_lapse = self._lapsed
        self._keeper = asyncio.create_task(self._keep())
        self._unlisten = await listen_for_enqueues(self._outbox, self._wake)

    async def stop(self) -> None:
        if self._keeper is not None:
            self._keeper.cancel()
            await asyncio.gather(self._keeper, return_exceptions=True)
            self._keeper = None
        if self._renewal is not None:
            await asyncio.gather(self._renewal, return_exceptions=True)
            self._renewal = None
        await stop_listening(self._unlisten)
        self._unlisten = None
        self._lease.on_lapse = None

    async def _keep(self) -> None:
        while True:
            await self._sleep(self._every_s)
            self._renewal = asyncio.ensure_future(self._renew())
            await asyncio.shield(self._renewal)
            self._wake()

    async def _renew(self) -> None:
        try:
            await self._lease.renew()
        except Exception:
            logger.warning("notifier: renewing the outbox lease failed; retrying in %.0f s", self._every_s,
                           exc_info=True)

    def _lapsed(self, still_held: set[int]) -> None:
        """The lease lapsed (a stall): stop holding what another delivery process may have taken meanwhile."""
        destinations = self._destinations()
        if dropped := destinations.drop(destinations.held_ids() - still_held):
            logger.warning("notifier: its outbox lease lapsed (a stall); %d notifications another delivery"
                           " process may have taken are dropped here (a send of them under way may deliver them"
                           " twice)", dropped)
