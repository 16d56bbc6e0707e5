"""BindingRepository.get_with_key: the chat's binding and its key's record in one statement, as `bindings.get` and
`keys.get` give them (SQLite file and PostgreSQL)."""

from __future__ import annotations

from fxbot.domain.access import Scope
from fxbot.storage import Storage

CHAT = "telegram:-1001234"
ADMIN = "telegram:42"


async def test_the_binding_and_its_key_read_together_equal_the_two_reads(storage: Storage) -> None:
    assert await storage.bindings.get_with_key(CHAT) is None
    key = await storage.keys.add(ADMIN, "main", "sk_test_main_0123456789abcdef", Scope.TRADE)
    other = await storage.keys.add(ADMIN, "other", "sk_test_other_0123456789abcdef", Scope.FULL)
    await storage.bindings.bind(CHAT, key.id, ADMIN, account_id="acc_2")
    await storage.bindings.bind("discord:5", other.id, ADMIN)
    for chat, stored in ((CHAT, key), ("discord:5", other)):
        both = await storage.bindings.get_with_key(chat)
        assert both == (await storage.bindings.get(chat), await storage.keys.get(stored.id))
        assert both is not None and both[1] == stored
    assert await storage.keys.remove(ADMIN, "main")  # its chats are unbound with it
    assert await storage.bindings.get_with_key(CHAT) is None
