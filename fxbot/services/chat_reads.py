"""A chat's binding, its key and its settings, read from storage at most once per command (see command_scope)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import TypeVar

from fxbot.chat.command_scope import remember, remembered
from fxbot.storage import Binding, ChatSettings, Storage, StoredKey

T = TypeVar("T")


async def _once(key: Hashable, kind: type[T], read: Callable[[], Awaitable[T | None]]) -> T | None:
    """What this command read under `key`, else `read()` (kept for the rest of the command)."""
    value = remembered(key, kind)
    if value is None:
        value = await read()
        remember(key, value)
    return value


async def chat_binding(storage: Storage, chat_id: str) -> Binding | None:
    """The chat's binding (None: not bound), read once per command; its key's record is read in the same statement
    and kept for `stored_key` (every bound command reads both)."""
    binding = remembered(("binding", chat_id), Binding)
    if binding is None:
        both = await storage.bindings.get_with_key(chat_id)
        if both is None:
            return None
        binding, key = both
        remember(("binding", chat_id), binding)
        if key is not None:
            remember(("key", key.id), key)
    return binding


async def stored_key(storage: Storage, key_id: int) -> StoredKey | None:
    """A stored key's record (never its secret; None: removed), read once per command."""
    return await _once(("key", key_id), StoredKey, lambda: storage.keys.get(key_id))


async def chat_settings(storage: Storage, chat_id: str) -> ChatSettings:
    """The chat's settings (defaults when never set), read once per command."""
    settings = await _once(("settings", chat_id), ChatSettings, lambda: storage.settings.get(chat_id))
    assert settings is not None  # storage.settings.get gives the defaults when never set
    return settings
