"""A chat's binding, its key and its settings, read from storage at most once per command (see command_scope)."""

from __future__ import annotations

from fxbot.chat.command_scope import remember, remembered
from fxbot.storage import Binding, ChatSettings, Storage, StoredKey


async def chat_binding(storage: Storage, chat_id: str) -> Binding | None:
    """The chat's binding (None: not bound), read once per command."""
    binding = remembered(("binding", chat_id), Binding)
    if binding is None:
        binding = await storage.bindings.get(chat_id)
        remember(("binding", chat_id), binding)
    return binding


async def stored_key(storage: Storage, key_id: int) -> StoredKey | None:
    """A stored key's record (never its secret; None: removed), read once per command."""
    key = remembered(("key", key_id), StoredKey)
    if key is None:
        key = await storage.keys.get(key_id)
        remember(("key", key_id), key)
    return key


async def chat_settings(storage: Storage, chat_id: str) -> ChatSettings:
    """The chat's settings (defaults when never set), read once per command."""
    settings = remembered(("settings", chat_id), ChatSettings)
    if settings is None:
        settings = await storage.settings.get(chat_id)
        remember(("settings", chat_id), settings)
    return settings
