"""What a delivery target raises to tell the notifier to wait (rate limit) or to stop (blocked)."""

from __future__ import annotations

import math


class DeliveryError(Exception):
    """Base class of the delivery signals a target may raise."""


class DeliveryRetryAfter(DeliveryError):
    """The platform said "too many requests, retry after N seconds" (HTTP 429).

    `chat_wide=True` (the usual case, e.g. Telegram flood control in one chat): only this chat
    waits. `chat_wide=False`: the limit is global for the platform (Discord's `global: true`), so
    every chat of that platform waits. Nothing is lost: the pending items are merged into the next
    message once the wait is over.
    """

    def __init__(self, seconds: float, chat_wide: bool = True) -> None:
        if not isinstance(seconds, int | float) or not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"retry-after must be a finite number of seconds >= 0, got {seconds!r}")
        self.seconds = float(seconds)
        self.chat_wide = chat_wide
        scope = "this chat" if chat_wide else "the whole platform"
        super().__init__(f"rate limited: retry after {self.seconds:g} s ({scope})")

    @property
    def is_global(self) -> bool:
        """True when every chat of the platform must wait."""
        return not self.chat_wide


class DeliveryForbidden(DeliveryError):
    """The bot may not post in this chat any more (blocked, kicked, channel deleted: 403/404).

    The notifier stops sending there: the chat's pending items are marked undeliverable.
    """

    def __init__(self, reason: str = "the bot may not post in this chat") -> None:
        self.reason = reason
        super().__init__(reason)
