"""LeaderLease: one process of many holds the `scheduler` lease and runs what must run once (the digest scheduler).

Every `renew_s` each candidate claims the lease (free, lapsed or already its own). The holder starts its job
when it wins and stops it when a renewal fails or it could not renew for a whole lease (someone else may hold
it by then). A new leader takes over within `lease_s + renew_s` of the old one's death; an orderly stop
releases the lease at once. Two leaders at once can only happen for a moment around a lapse (a frozen
process that wakes up): what the job writes must be harmless twice — digests are, by their outbox dedupe key.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from fxbot.scaleout.leases import LeaseStore

log = logging.getLogger(__name__)

SCHEDULER_LEASE = "scheduler"


class LeaderLease:
    """Runs `on_elected()` when this process becomes the leader of `name`, `on_deposed()` when it stops being it."""

    def __init__(self, leases: LeaseStore, *, name: str = SCHEDULER_LEASE, lease_s: float, renew_s: float,
                 on_elected: Callable[[], Awaitable[None]], on_deposed: Callable[[], Awaitable[None]],
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._leases = leases
        self.name = name
        self.lease = timedelta(seconds=lease_s)
        self.renew_s = renew_s
        self._on_elected = on_elected
        self._on_deposed = on_deposed
        self._sleep = sleep
        self.leading = False
        self._valid_until: datetime | None = None

    def __repr__(self) -> str:
        return f"LeaderLease({self.name!r}, owner={self._leases.owner!r}, leading={self.leading})"

    async def run(self) -> None:
        """Campaign every `renew_s` until cancelled; step down (and release the lease) on the way out."""
        try:
            while True:
                await self.tick()
                await self._sleep(self.renew_s)
        finally:
            await asyncio.shield(self.step_down(release=True))

    async def tick(self) -> bool:
        """One round: claim or renew the lease, start or stop the job accordingly; whether we lead now."""
        try:
            until = await self._leases.claim(self.name, self.lease)
        except Exception:
            log.exception("leader lease %s: renewing failed", self.name)
            if self.leading and self._valid_until is not None and self._leases.now() >= self._valid_until:
                await self.step_down(release=False)
            return self.leading
        if until is None:
            if self.leading:
                log.warning("leader lease %s: another process holds it now; stepping down", self.name)
                await self.step_down(release=False)
            return False
        self._valid_until = until
        if not self.leading:
            log.info("leader lease %s: %s is the leader", self.name, self._leases.owner)
            self.leading = True
            try:
                await self._on_elected()
            except Exception:
                log.exception("leader lease %s: starting the job failed; stepping down", self.name)
                await self.step_down(release=True)
        return self.leading

    async def step_down(self, *, release: bool) -> None:
        """Stop the job (if leading) and, with `release`, give the lease up for others to take at once."""
        if self.leading:
            self.leading = False
            try:
                await self._on_deposed()
            except Exception:
                log.exception("leader lease %s: stopping the job failed", self.name)
        if release:
            try:
                await self._leases.release([self.name])
            except Exception:
                log.warning("leader lease %s: could not release; it lapses in %s", self.name, self.lease)
