"""Inline keyboards: each button's action kept server-side under a short callback token with a TTL."""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from fxbot.chat import persisted_buttons
from fxbot.chat.types import Button

CALLBACK_DATA_LIMIT = 64  # bytes, Bot API limit
TOKEN_PREFIX = "b:"
DEFAULT_TTL_S = 24 * 3600.0
DEFAULT_MAX_ENTRIES = 20_000
_WIDE_LABEL = 20


@dataclass(frozen=True, slots=True)
class _Entry:
    action: str
    chat_id: str
    created: float


class ButtonBook:
    """Maps short callback tokens to (action, chat); a token from another chat, or expired, resolves to None.

    The core still decides who may press what: this only keeps `callback_data` small and unguessable."""

    def __init__(
        self,
        *,
        ttl_s: float = DEFAULT_TTL_S,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_s
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def token_for(self, action: str, chat_id: str) -> str:
        """A new callback_data value (ASCII, well under 64 bytes) standing for `action` in `chat_id`; a
        notification's button already carries a short persisted token, sent as is (it outlives a restart)."""
        if persisted_buttons.owns(action) and len(action.encode()) <= 64:
            return action
        self._purge()
        token = TOKEN_PREFIX + secrets.token_urlsafe(9)  # 12 characters, 72 random bits
        self._entries[token] = _Entry(action, chat_id, self._clock())
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
        return token

    def resolve(self, data: str | None, chat_id: str) -> str | None:
        """The action behind a pressed button, or None when unknown, expired or pressed in another chat."""
        if not data:
            return None
        if persisted_buttons.owns(data):
            return data  # the core checks the token's chat, expiry and use
        entry = self._entries.get(data)
        if entry is None or self._clock() - entry.created >= self._ttl or entry.chat_id != chat_id:
            return None
        return entry.action

    def move_chat(self, old_chat_id: str, new_chat_id: str) -> None:
        """A group became a supergroup: its buttons keep working under the new id."""
        for token, entry in list(self._entries.items()):
            if entry.chat_id == old_chat_id:
                self._entries[token] = _Entry(entry.action, new_chat_id, entry.created)

    def keyboard(self, buttons: Sequence[Button], chat_id: str) -> InlineKeyboardMarkup:
        """The inline keyboard for `buttons`: two per row (one when a label is long)."""
        wide = any(len(b.label) > _WIDE_LABEL for b in buttons)
        per_row = 1 if wide else 2
        rows: list[list[InlineKeyboardButton]] = []
        for start in range(0, len(buttons), per_row):
            rows.append([
                InlineKeyboardButton(b.label[:64], callback_data=self.token_for(b.action, chat_id))
                for b in buttons[start : start + per_row]
            ])
        return InlineKeyboardMarkup(rows)

    def _purge(self) -> None:
        now = self._clock()
        while self._entries:
            token, entry = next(iter(self._entries.items()))
            if now - entry.created < self._ttl:
                break
            del self._entries[token]
