"""Claiming pending outbox rows into memory under the lease: the `max_held` bound, critical items ahead of a backlog."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

from fxbot.notify.blocked import BlockedChats
from fxbot.notify.destination import Destinations
from fxbot.notify.lease import OutboxLease
from fxbot.notify.pacing import MonotonicClock
from fxbot.notify.targets import DeliveryTarget

DEFAULT_MAX_HELD = 10_000
"""How many outbox items a notifier holds in memory at most (claimed, rendered, waiting or being sent)."""

_REFUSED_REASON = "the chat refuses messages from the bot"


class HeldClaims:
    """Claims what the outbox holds for the notifier's targets into its Destinations, at most `max_held` items.

    `claim_new` claims everything claimable up to `max_held`, `claim_batch` rows a query, so a backlog
    coalesces per chat; a backlog beyond it waits unclaimed (`held_back`) and is claimed in id order as what
    is held goes out (`room_freed`), while its critical items are claimed ahead of it (up to `claim_batch`
    beyond `max_held`). Items for a chat that refuses the bot are marked undeliverable as they are claimed.
    """

    def __init__(
        self,
        lease: OutboxLease,
        targets: Mapping[str, DeliveryTarget],
        blocked: BlockedChats,
        destinations: Callable[[], Destinations],
        *,
        clock: MonotonicClock,
        claim_batch: int,
        max_held: int,
        load_batch_s: float,
    ) -> None:
        self._lease = lease
        self._targets = targets
        self._blocked = blocked
        self._destinations = destinations  # a getter: a stop replaces the notifier's Destinations
        self._clock = clock
        self._claim_batch = claim_batch
        self._max_held = max_held
        self._load_batch_s = load_batch_s
        self.held_back = False  # claiming stopped at max_held: claim again once some went out

    def room_freed(self) -> bool:
        """Claiming stopped at `max_held` and some of what was held went out since: claim again."""
        return self.held_back and self._destinations().pending() < self._max_held

    async def claim_new(self) -> None:
        self.held_back = False
        await self._blocked.load()
        if self._load_batch_s > 0:
            await asyncio.sleep(self._load_batch_s)  # let a burst of enqueues land: one query for all
        while True:  # everything waiting, before the next dispatch: a backlog coalesces per chat
            room = self._max_held - self._destinations().pending()
            if room <= 0:  # the rest once some of what is held went out (bounded memory)
                self.held_back = True
                await self._claim_critical_ahead()
                return
            wanted = min(self._claim_batch, room)
            if await self._claim(wanted, critical_only=False) < wanted:
                return

    async def _claim_critical_ahead(self) -> None:
        """A backlog beyond `max_held` waits unclaimed: its critical items are claimed ahead of it (at most
        `claim_batch` beyond `max_held`), so a margin call is not queued behind a storm of price alerts."""
        room = self._max_held + self._claim_batch - self._destinations().pending()
        if room <= 0:
            return
        await self._claim(room, critical_only=True)

    async def _claim(self, limit: int, *, critical_only: bool) -> int:
        """Claims up to `limit` rows into memory; returns how many were claimed (refused ones included)."""
        items = await self._lease.claim(self._targets, limit, critical_only=critical_only)
        refused = self._destinations().load(items, self._clock(), self._blocked)
        if refused:
            await self._lease.mark_undeliverable(refused, _REFUSED_REASON)
        return len(items)
