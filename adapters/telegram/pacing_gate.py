"""An async "wait until this chat may send" gate over the notifier's pure pacing maths."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from fxbot.notify.pacing import MonotonicClock, Pacer, PacingLimits

PLATFORM = "telegram"


class PacingGate:
    """Every outgoing Telegram message waits here for its turn (per chat, per group, overall).

    `wait_turn` sleeps until the pacer allows a message to the chat and counts it as sent; the check
    and the count happen with no await between them, so concurrent senders never overshoot."""

    def __init__(
        self,
        limits: PacingLimits | None = None,
        *,
        clock: MonotonicClock = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        mapping = None if limits is None else {PLATFORM: limits}
        self._pacer = Pacer(clock, mapping)
        self._clock = clock
        self._sleep = sleep

    def set_limits(self, limits: PacingLimits) -> None:
        """Use other limits from now on (forgets what was sent so far)."""
        self._pacer = Pacer(self._clock, {PLATFORM: limits})

    async def wait_turn(self, chat_id: str, *, group: bool) -> None:
        while True:
            ready = self._pacer.ready_at(PLATFORM, chat_id, group=group)
            now = self._clock()
            if ready <= now:
                self._pacer.record_send(PLATFORM, chat_id, group=group)
                return
            await self._sleep(ready - now)

    def retry_after(self, chat_id: str | None, seconds: float) -> None:
        """Telegram said wait: hold this chat (None: every chat) for `seconds`."""
        self._pacer.retry_after(PLATFORM, chat_id, seconds)

    def forget_idle(self) -> int:
        return self._pacer.forget_idle()
