"""ClusterStreamStatus: /status in a front process, which runs no stream — who streams each bound key.

Read from the leases table every `interval_s` (the stream health the chat asks for must answer at once):
a key counts as streamed when its partition is held by a live worker. The workers' own connection details
stay in each worker (its ops endpoint, its watchdog).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING

from fxbot.scaleout.leases import LeaseStore
from fxbot.scaleout.partitions import PARTITION_PREFIX, WORKER_PREFIX, partition_name, partition_of
from fxbot.services.health import StreamHealth

if TYPE_CHECKING:
    from fxbot.storage.database import Database

log = logging.getLogger(__name__)


class ClusterStreamStatus:
    """A StreamStatusProvider over the leases: which live worker holds the partition of each bound key."""

    def __init__(self, db: Database, clock: Callable[[], datetime], *, partitions: int, interval_s: float,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._db = db
        self._leases = LeaseStore(db, "status-reader", clock)
        self._clock = clock
        self._partitions = partitions
        self._interval_s = interval_s
        self._sleep = sleep
        self._health = StreamHealth(connected=False, detail="the workers' streams are not read yet")

    def __repr__(self) -> str:
        return f"ClusterStreamStatus(connected={self._health.connected})"

    def stream_health(self) -> StreamHealth:
        return self._health

    async def run(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception:
                log.warning("stream status: reading the leases failed", exc_info=True)
            await self._sleep(self._interval_s)

    async def refresh(self) -> StreamHealth:
        now = self._clock()
        live = {lease.name: lease.owner for lease in await self._leases.list("") if lease.live(now)}
        workers = {name.removeprefix(WORKER_PREFIX) for name in live if name.startswith(WORKER_PREFIX)}
        keys = await self._db.fetch_all("SELECT DISTINCT b.key_id, k.name FROM chat_bindings b"
                                        " JOIN api_keys k ON k.id = b.key_id ORDER BY b.key_id")
        notes, orphans = [], 0
        for row in keys:
            owner = live.get(partition_name(partition_of(int(row[0]), self._partitions)))
            if owner is None or owner not in workers:
                orphans += 1
                notes.append(f"key '{row[1]}': no live worker holds it (taken over within the lease time)")
            else:
                notes.append(f"key '{row[1]}': streamed by worker {owner}")
        if not keys:
            detail = "no chat is bound to a key, so nothing is streamed"
        else:
            held = sum(1 for name in live if name.startswith(PARTITION_PREFIX))
            detail = (f"{len(workers)} live worker(s) hold {held} of {self._partitions} partitions; "
                      + "; ".join(notes))
        self._health = StreamHealth(connected=bool(keys) and orphans == 0, since=now, detail=detail)
        return self._health
