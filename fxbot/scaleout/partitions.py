"""PartitionKeeper: a worker's fair share of the key partitions, held by leases and rebalanced as workers come and go.

The streaming unit is a stored key (one stream per key: a /v1 key, or an SDK key, which reaches one account);
`partition_of(key_id)` puts it in one of a fixed number of hash buckets. Each tick (every `renew_s`) a
worker renews its heartbeat (`worker:ID`) and its partitions, counts the live workers, and moves towards
its quota: with N live workers and P partitions the workers sorted by id get P // N each, the first P % N
one more, so the quotas sum to P. Extras are released at once (a new worker gets them on its next tick);
free or lapsed partitions are claimed up to the quota. A worker that could not renew for a whole lease gives
its partitions up by itself, before anybody else may claim them.

Takeover bound: a dead worker's leases lapse at most `lease_s` after its last renewal; the others see that
on their next tick, within `renew_s`: its partitions have a new owner within `lease_s + renew_s` (plus the
new stream's connect and REST reconciliation).
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from fxbot.scaleout.leases import LeaseStore

log = logging.getLogger(__name__)

PARTITION_PREFIX = "partition:"
WORKER_PREFIX = "worker:"

PartitionListener = Callable[[frozenset[int]], Awaitable[None]]


def partition_of(key_id: int, partitions: int) -> int:
    """The partition a stored key's stream belongs to (stable across processes and restarts)."""
    return zlib.crc32(str(key_id).encode()) % partitions


def partition_name(partition: int) -> str:
    return f"{PARTITION_PREFIX}{partition}"


def quota(worker: str, live: list[str], partitions: int) -> int:
    """How many partitions `worker` should hold among the `live` workers (quotas sum to `partitions`)."""
    ranked = sorted(set(live) | {worker})
    share, extra = divmod(partitions, len(ranked))
    return share + (1 if ranked.index(worker) < extra else 0)


class PartitionKeeper:
    """Holds this worker's partitions; tells `on_change` the new set whenever it changes."""

    def __init__(self, leases: LeaseStore, *, partitions: int, lease_s: float, renew_s: float,
                 on_change: PartitionListener | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        if partitions < 1:
            raise ValueError("partitions must be at least 1")
        self._leases = leases
        self.partitions = partitions
        self.lease = timedelta(seconds=lease_s)
        self.renew_s = renew_s
        self.on_change = on_change
        self._sleep = sleep
        self.held: frozenset[int] = frozenset()
        self.live_workers = 0
        self._valid_until: datetime | None = None  # our leases surely last until then (the last renewal)

    def __repr__(self) -> str:
        return f"PartitionKeeper(owner={self._leases.owner!r}, held={sorted(self.held)})"

    @property
    def owner(self) -> str:
        return self._leases.owner

    def holds_key(self, key_id: int) -> bool:
        return partition_of(key_id, self.partitions) in self.held

    async def run(self) -> None:
        """Tick every `renew_s` until cancelled; the partitions are released on the way out."""
        try:
            while True:
                try:
                    await self.tick()
                except Exception:
                    log.exception("partition leases: renewing failed")
                    await self._lapse_if_due()
                await self._sleep(self.renew_s)
        finally:
            await asyncio.shield(self.release_all())

    async def tick(self) -> frozenset[int]:
        """One renewal round: heartbeat, renew, release extras, claim up to the quota; the partitions held."""
        leases = self._leases
        now = leases.now()
        await leases.claim(WORKER_PREFIX + leases.owner, self.lease)  # the heartbeat: only we claim our name
        held = {_number(name) for name in await leases.renew_held(PARTITION_PREFIX, self.lease)}
        held.discard(-1)
        self._valid_until = now + self.lease
        workers = [lease.owner for lease in await leases.list(WORKER_PREFIX) if lease.live(now)]
        self.live_workers = len(set(workers) | {leases.owner})
        want = quota(leases.owner, workers, self.partitions)
        if len(held) > want:
            extras = sorted(held)[want:]
            await leases.release(partition_name(p) for p in extras)
            held.difference_update(extras)
        if len(held) < want:
            taken = {_number(lease.name): lease for lease in await leases.list(PARTITION_PREFIX)}
            free = [p for p in range(self.partitions) if p not in taken or not taken[p].live(now)]
            start = zlib.crc32(leases.owner.encode()) % self.partitions  # workers start at different places
            free.sort(key=lambda p: (p - start) % self.partitions)
            for partition in free:
                if len(held) >= want:
                    break
                if await leases.claim(partition_name(partition), self.lease) is not None:
                    held.add(partition)
        await leases.purge_expired(WORKER_PREFIX, self.lease * 10)
        await self._set(frozenset(held))
        return self.held

    async def release_all(self) -> None:
        """Give every partition and the heartbeat up (an orderly stop: others take over at once)."""
        names = [partition_name(p) for p in self.held] + [WORKER_PREFIX + self._leases.owner]
        try:
            await self._leases.release(names)
        except Exception:
            log.warning("partition leases: could not release on the way out; they lapse in %s", self.lease)
        await self._set(frozenset())

    async def _lapse_if_due(self) -> None:
        """Renewals failed: past the last renewal's expiry somebody else may hold our partitions: drop them."""
        if self._valid_until is not None and self.held and self._leases.now() >= self._valid_until:
            log.warning("partition leases: not renewed for %s; giving up %d partitions", self.lease, len(self.held))
            await self._set(frozenset())

    async def _set(self, held: frozenset[int]) -> None:
        if held == self.held:
            return
        gained, lost = sorted(held - self.held), sorted(self.held - held)
        self.held = held
        log.info("partition leases: %s holds %d of %d (+%s -%s), %d live workers", self._leases.owner,
                 len(held), self.partitions, gained, lost, self.live_workers)
        if self.on_change is not None:
            await self.on_change(held)


def _number(name: str) -> int:
    try:
        return int(name.removeprefix(PARTITION_PREFIX))
    except ValueError:
        return -1
