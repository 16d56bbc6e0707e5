"""Where the notifier delivers: the DeliveryTarget port and its bridge onto a ChatAdapter."""

from __future__ import annotations

from typing import Protocol

from fxbot.chat.adapter import ChatAdapter
from fxbot.chat.types import ChatRef, Reply


class DeliveryTarget(Protocol):
    """One chat platform as the notifier sees it.

    `send` may raise `DeliveryRetryAfter` (wait, then retry with the pending items merged) or
    `DeliveryForbidden` (stop sending to that chat); any other exception is retried with backoff.
    `message_limit` is the platform's maximum message length in characters (None: unlimited).
    """

    platform: str
    message_limit: int | None

    async def send(self, chat: ChatRef, reply: Reply) -> None: ...


class ChatAdapterTarget:
    """Delivers through a chat adapter's `send` (the console adapter, or any adapter without its own)."""

    def __init__(self, adapter: ChatAdapter, platform: str, message_limit: int | None) -> None:
        if not platform or ":" in platform:
            raise ValueError(f"a platform name must be non-empty without ':', got {platform!r}")
        if message_limit is not None and message_limit < 1:
            raise ValueError(f"message_limit must be positive or None, got {message_limit!r}")
        self.adapter = adapter
        self.platform = platform
        self.message_limit = message_limit

    def __repr__(self) -> str:
        return f"ChatAdapterTarget(platform={self.platform!r}, message_limit={self.message_limit!r})"

    async def send(self, chat: ChatRef, reply: Reply) -> None:
        await self.adapter.send(chat, reply)
