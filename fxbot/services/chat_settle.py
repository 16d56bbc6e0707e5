"""Before an orderly stop: wait, with a bound, until the fills of the orders a chat placed have reached it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from fxbot.storage.audit import MAX_RECENT, AuditRepository

log = logging.getLogger(__name__)

SETTLE_TIMEOUT_S = 5.0


class HandledOrders(Protocol):
    """The fill notifier's side: returns once order events naming these ord_/pos_ ids were handled."""

    async def wait_handled(self, refs: Collection[str]) -> None: ...


class Drainable(Protocol):
    """The notifier's side: delivers until nothing is pending (True) or the timeout passed (False)."""

    async def drain(self, timeout: float) -> bool: ...  # noqa: ASYNC109 (the notifier's API)


class ChatSettler:
    """Lets in-flight notifications of a chat through before the app stops (the console at end of input).

    The orders the chat placed since the bot started (audit log) are waited for until the stream pump has
    handled an event for each (so their fill notifications are in the outbox), then the notifier drains.
    Both waits share one bound: a stream that never reports an order cannot hold the exit up.
    """

    def __init__(self, *, audit: AuditRepository, fills: HandledOrders, started_at: datetime,
                 timeout_s: float = SETTLE_TIMEOUT_S) -> None:
        self._audit = audit
        self._fills = fills
        self._started_at = started_at
        self._timeout_s = timeout_s

    def __repr__(self) -> str:
        return f"ChatSettler(timeout_s={self._timeout_s})"

    async def placed_refs(self, chat_id: str) -> set[str]:
        """The ord_/pos_ ids that successful commands of this chat produced since the bot started."""
        entries = await self._audit.recent(chat_id, MAX_RECENT)
        return {e.order_ref for e in entries if e.ok and e.order_ref and e.at >= self._started_at}

    async def settle(self, chat_id: str, notifier: Drainable | None) -> bool:
        """True when everything arrived and was delivered within the bound; False (logged) otherwise."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout_s
        refs = await self.placed_refs(chat_id)
        try:
            async with asyncio.timeout_at(deadline):
                await self._fills.wait_handled(refs)
        except TimeoutError:
            log.warning("%d order(s) of chat %s were not reported by the stream within %.0f s; stopping anyway",
                        len(refs), chat_id, self._timeout_s)
            return False
        if notifier is None:
            return True
        delivered = await notifier.drain(max(0.0, deadline - loop.time()))
        if not delivered:
            log.warning("notifications of chat %s still pending after %.0f s", chat_id, self._timeout_s)
        return delivered
