"""The notifier's in-flight bookkeeping: admitted sends, busy chats, send tasks and the outbox writes after them."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Coroutine, Iterable
from typing import Any

from fxbot.notify.destination import Destination
from fxbot.notify.failures import safe_text

logger = logging.getLogger(__name__)


class InFlight:
    """Sends under way: per platform the admitted ones whose task has not started, the chats being
    sent to, the send tasks, and the outbox writes after a send (a stop waits for them)."""

    def __init__(self) -> None:
        self.count = 0  # deliveries under way (a platform send or the outbox write after it)
        self._admitted: Counter[str] = Counter()  # per platform: admitted sends whose task has not started
        self._busy_chats: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._writes: set[asyncio.Future[Any]] = set()  # outbox writes after a send: a stop waits for them

    def reserved(self, platform: str) -> int:
        return self._admitted[platform]

    def is_busy(self, chat_id: str) -> bool:
        return chat_id in self._busy_chats

    def admit(self, dest: Destination, send: Coroutine[Any, Any, None]) -> None:
        """Start `send` to `dest` as its own task; its chat is busy until `finished`."""
        self._admitted[dest.platform] += 1
        self._busy_chats.add(dest.chat_id)
        dest.in_flight = True
        self.count += 1
        self.spawn(send)

    def started(self, platform: str) -> None:
        """An admitted send's task began running."""
        self._admitted[platform] -= 1

    def finished(self, dest: Destination) -> None:
        self._busy_chats.discard(dest.chat_id)
        dest.in_flight = False
        self.count -= 1

    def move_chat(self, old_chat_id: str, new_chat_id: str) -> None:
        if old_chat_id in self._busy_chats:
            self._busy_chats.discard(old_chat_id)
            self._busy_chats.add(new_chat_id)

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def track(self, step: Coroutine[Any, Any, Any]) -> asyncio.Future[Any]:
        """Run an outbox write as its own task, so cancelling the delivery does not interrupt it."""
        write = asyncio.ensure_future(step)
        self._writes.add(write)
        write.add_done_callback(self._writes.discard)
        return write

    async def recording(self, step: Coroutine[Any, Any, None]) -> None:
        """Run an outbox write recording a delivery failure, shielded from the delivery's cancellation."""
        try:
            await asyncio.shield(self.track(step))
        except Exception:
            logger.exception("notifier: could not record a delivery failure in the outbox")

    async def cancel(self, destinations: Iterable[Destination]) -> None:
        """Cancel the send tasks, finish the outbox writes of sends that returned, and reset the bookkeeping."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._writes:  # outbox writes of sends that returned: finish them, or those items go out twice
            for result in await asyncio.gather(*list(self._writes), return_exceptions=True):
                if isinstance(result, Exception):
                    logger.error("notifier: an outbox write failed while stopping: %s", safe_text(str(result)))
        # a task cancelled before it started never ran its bookkeeping
        self.count = 0
        self._admitted.clear()
        self._busy_chats.clear()
        for dest in destinations:
            dest.in_flight = False
