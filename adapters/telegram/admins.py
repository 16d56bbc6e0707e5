"""Who administers a Telegram group: getChatAdministrators, cached per chat for about a minute."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from telegram import Bot
from telegram.error import TelegramError

log = logging.getLogger(__name__)

DEFAULT_TTL_S = 60.0


class AdminCache:
    """The user ids administering each group; one API call per chat per `ttl_s`.

    When Telegram cannot be asked, the last answer is reused; with no answer at all the result is
    "unknown" (None), never "nobody": a failed call must not strip a real admin of their protection.
    An unknown result is not cached, so the next command asks again."""

    def __init__(self, *, ttl_s: float = DEFAULT_TTL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl_s
        self._clock = clock
        self._cache: dict[int, tuple[float, frozenset[int]]] = {}

    async def is_admin(self, bot: Bot, chat_id: int, user_id: int) -> bool | None:
        """Whether the user administers the chat; None when Telegram could not tell (and never did)."""
        admins = await self.admins(bot, chat_id)
        return None if admins is None else user_id in admins

    async def admins(self, bot: Bot, chat_id: int) -> frozenset[int] | None:
        """The administrators' user ids (possibly a stale answer); None when they are unknown."""
        now = self._clock()
        cached = self._cache.get(chat_id)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        try:
            members = await bot.get_chat_administrators(chat_id)
        except TelegramError as error:
            if cached is None:
                log.warning("telegram: could not list the administrators of chat %s (%s); their rights are"
                            " unknown until the next try", chat_id, error)
                return None
            log.warning("telegram: could not list the administrators of chat %s (%s); using the last answer",
                        chat_id, error)
            ids = cached[1]
        else:
            ids = frozenset(m.user.id for m in members)
        self._cache[chat_id] = (now, ids)
        if len(self._cache) > 10_000:
            self._drop_stale(now)
        return ids

    def forget(self, chat_id: int) -> None:
        self._cache.pop(chat_id, None)

    def _drop_stale(self, now: float) -> None:
        for chat_id in [c for c, (at, _) in self._cache.items() if now - at >= self._ttl]:
            del self._cache[chat_id]
