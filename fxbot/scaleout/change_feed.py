"""ChangeFeed: what one process changed, told to the others (PostgreSQL LISTEN/NOTIFY through the database gateway).

Channels and payloads: `alert_rules` (a rule id: the owning worker reloads that rule), `bindings` (a chat
id, or empty: workers re-read the chat bindings at once instead of at their next poll), `managed_stops`
(workers reload the bot-managed stops), `digest_schedules` (the scheduler leader re-reads its schedules) and
`alert_snoozes` (the leader's snooze loop looks at the snooze ends again).
A notification is delivered after its transaction commits. After a lost database connection the gateway
delivers `*reconnect*`: what was notified meanwhile may be lost, so subscribers reload everything.
Handlers run one at a time, in arrival order, in `run()`; a failing handler is logged and skipped.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fxbot.storage.database import RECONNECT_PAYLOAD

log = logging.getLogger(__name__)

ALERT_RULES = "alert_rules"
BINDINGS = "bindings"
MANAGED_STOPS = "managed_stops"
DIGEST_SCHEDULES = "digest_schedules"
SNOOZES = "alert_snoozes"
RECONNECT = RECONNECT_PAYLOAD  # told on every channel after the listening connection came back

Handler = Callable[[str], Awaitable[None]]


class ChangeFeed:
    """Publish changes to, and subscribe to changes from, the other fxbot processes on one database."""

    def __init__(self, db: Any) -> None:
        self._db = db  # the database gateway: notify(channel, payload) and listen(channel, callback)
        self._queue: asyncio.Queue[tuple[Handler, str]] = asyncio.Queue()
        self._unlisten: list[Callable[[], Any]] = []
        self.published = 0
        self.received = 0

    def __repr__(self) -> str:
        return f"ChangeFeed(published={self.published}, received={self.received})"

    @property
    def supported(self) -> bool:
        """Whether the database gateway delivers notifications (else processes fall back to polling)."""
        return callable(getattr(self._db, "notify", None)) and callable(getattr(self._db, "listen", None))

    async def publish(self, channel: str, payload: str = "") -> None:
        """Tell the other processes (after the current transaction commits); never raises."""
        if not self.supported:
            return
        try:
            await self._db.notify(channel, payload)
            self.published += 1
        except Exception:
            log.exception("change feed: could not notify %s (%s); the others catch up by polling", channel, payload)

    async def subscribe(self, channel: str, handler: Handler) -> None:
        """Run `handler(payload)` (in `run()`) for every notification on `channel`, `*reconnect*` included."""
        if not self.supported:
            log.warning("change feed: this database cannot notify other processes; %s changes arrive by polling",
                        channel)
            return

        def received(payload: str) -> None:
            self.received += 1
            self._queue.put_nowait((handler, payload))

        unlisten = await self._db.listen(channel, received)
        if callable(unlisten):
            self._unlisten.append(unlisten)

    async def run(self) -> None:
        """Handle notifications until cancelled."""
        while True:
            handler, payload = await self._queue.get()
            try:
                await handler(payload)
            except Exception:
                log.exception("change feed: handling %r failed", payload)

    async def close(self) -> None:
        """Stop listening on every channel."""
        unlisten, self._unlisten = self._unlisten, []
        for stop in unlisten:
            try:
                result = stop()
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.warning("change feed: could not stop listening", exc_info=True)
