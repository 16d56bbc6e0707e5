"""The notifier's DeliveryTarget for Discord: translates 429/403/404 into DeliveryRetryAfter/DeliveryForbidden."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord

from fxbot.chat.types import ChatRef, Reply
from fxbot.notify.errors import DeliveryForbidden, DeliveryRetryAfter

if TYPE_CHECKING:
    from fxbot.adapters.discord.client import DiscordAdapter

log = logging.getLogger(__name__)

FORBIDDEN_AFTER = 3  # consecutive 403/404 answers for one channel before we stop sending there


class DiscordDeliveryTarget:
    """Sends notifications through the adapter. discord.py keeps its own per-route 429 handling (short
    waits); a long wait comes back as DeliveryRetryAfter. Repeated 403/404 for a channel become
    DeliveryForbidden: the notifier then stops sending there (and remembers it across restarts) until
    someone uses the bot in that channel again, which `seen` reports to the core."""

    platform = "discord"
    message_limit: int | None = 2000

    def __init__(self, adapter: DiscordAdapter) -> None:
        self._adapter = adapter
        self._failures: dict[str, int] = {}
        self._reports: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:
        return f"DiscordDeliveryTarget(failing={len(self._failures)})"

    def seen(self, chat: ChatRef) -> None:
        """Someone used the bot in this chat: it can be reached again (told to the core in the background)."""
        self._failures.pop(chat.id, None)
        task = asyncio.get_running_loop().create_task(self._report_reachable(chat.id))
        self._reports.add(task)
        task.add_done_callback(self._reports.discard)

    async def _report_reachable(self, chat_id: str) -> None:
        try:
            await self._adapter.runtime.on_chat_reachable(chat_id)
        except Exception:
            log.exception("discord: could not report channel %s as reachable again", chat_id)

    async def send(self, chat: ChatRef, reply: Reply) -> None:
        try:
            await self._adapter.send(chat, reply)
        except discord.RateLimited as error:
            raise DeliveryRetryAfter(error.retry_after, chat_wide=True) from None
        except (discord.Forbidden, discord.NotFound) as error:
            failures = self._failures.get(chat.id, 0) + 1
            self._failures[chat.id] = failures
            if failures < FORBIDDEN_AFTER:
                raise
            self._failures.pop(chat.id, None)
            log.warning("discord: %s answered HTTP %s %d times in a row — no more notifications there until "
                        "the bot is used in it again", chat.id, error.status, failures)
            raise DeliveryForbidden(f"Discord refused posting in this channel (HTTP {error.status})") from None
        except discord.HTTPException as error:
            if error.status == 429:
                raise DeliveryRetryAfter(_retry_after(error), chat_wide=True) from None
            raise
        self._failures.pop(chat.id, None)


def _retry_after(error: discord.HTTPException) -> float:
    header = error.response.headers.get("Retry-After") if error.response is not None else None
    try:
        return max(0.0, float(header)) if header is not None else 5.0
    except ValueError:
        return 5.0
