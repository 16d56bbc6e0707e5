"""Sends stop modifications: coalesced per position (only the latest wanted stop), one at a time per account."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from fxbot.management.rules import ManagedRule

log = logging.getLogger(__name__)

Apply = Callable[[ManagedRule, int], Awaitable[None]]


class StopExecutor:
    """Queues the stop wanted for each position (and rule kind) and hands it to `apply`, serially per account.

    While a modify of an account is in flight, newer wanted stops replace older ones for the same position,
    so a fast market costs one request per position per round trip, never one per quote; the broker client's
    per-account request pacer then keeps the account under the API's rate limit. `apply` handles every
    outcome itself (it must not raise; a failure is logged and the position's next wanted stop is tried)."""

    def __init__(self, apply: Apply) -> None:
        self._apply = apply
        # account -> (position, rule kind) -> (rule, stop)
        self._wanted: dict[str, dict[tuple[str, str], tuple[ManagedRule, int]]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        self.sent = 0

    def __repr__(self) -> str:
        return f"StopExecutor(accounts={len(self._workers)}, queued={self.queued})"

    @property
    def queued(self) -> int:
        return sum(len(w) for w in self._wanted.values())

    def submit(self, rule: ManagedRule, stop_points: int) -> None:
        """Want this stop for the rule's position (replacing a queued one)."""
        account = rule.account_id
        self._wanted.setdefault(account, {})[(rule.position_id, str(rule.kind))] = (rule, stop_points)
        self._idle.clear()
        if account not in self._workers:
            self._workers[account] = asyncio.create_task(self._work(account), name=f"stops-{account}")

    def queued_for(self, rule: ManagedRule) -> int | None:
        """The stop queued (not yet sent) for this rule, if any."""
        found = self._wanted.get(rule.account_id, {}).get((rule.position_id, str(rule.kind)))
        return None if found is None else found[1]

    def forget(self, account_id: str, position_id: str) -> None:
        """Drop a queued stop of a position (it closed, or its rules went)."""
        queued = self._wanted.get(account_id)
        if queued is not None:
            for key in [k for k in queued if k[0] == position_id]:
                del queued[key]

    async def wait_idle(self) -> None:
        """Return once nothing is queued or in flight."""
        await self._idle.wait()

    async def aclose(self) -> None:
        workers = list(self._workers.values())
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        self._workers.clear()
        self._wanted.clear()
        self._idle.set()

    async def _work(self, account: str) -> None:
        try:
            while True:
                queued = self._wanted.get(account)
                if not queued:
                    break
                rule, stop = queued.pop(next(iter(queued)))
                try:
                    await self._apply(rule, stop)
                except Exception:
                    log.exception("managed stops: applying a stop on account %s failed", account)
                self.sent += 1
        finally:
            self._workers.pop(account, None)
            if not self._wanted.get(account):
                self._wanted.pop(account, None)
            if not self._workers:
                self._idle.set()
