"""/link and terminal-API keys: an fxs_ro_ key is read-only (more is refused before FxSocket is asked), an
fxs_live_ key is full unless capped and is linked with a master-key warning; the console key is capped too."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from fxbot.chat.types import ReplyKind
from fxbot.commands.keys import LIVE_KEY_WARNING, link_reply
from fxbot.domain.access import Scope
from fxbot.domain.broker import BrokerBackends
from fxbot.domain.key_scopes import capped, key_scopes
from fxbot.errors import UserError
from fxbot.services.brokers import BrokerProvider
from fxbot.services.console_key import CONSOLE_USER_ID, ensure_console_key
from fxbot.services.keys import KeyService
from fxbot.storage import Storage
from tests.unit.services.fake_chat_broker import FakeBrokers, ScriptedBroker

OWNER = "telegram:1"
PRIVATE = "telegram:1"
RO = "fxs_ro_0123456789abcdefghijklmnopqr"
LIVE = "fxs_live_0123456789abcdefghijklmnop"
V1 = "sk_test_0123456789abcdefghijklmn"


def service(storage: Storage) -> tuple[KeyService, FakeBrokers]:
    """A KeyService whose key checks go to a scripted broker (the fake records every secret it is asked)."""
    brokers = FakeBrokers(ScriptedBroker())
    return KeyService(storage=storage, brokers=brokers), brokers  # type: ignore[arg-type]


@pytest.mark.parametrize("scope", [Scope.TRADE, Scope.FULL])
async def test_a_read_only_key_declared_above_read_only_is_refused_before_fxsocket_is_asked(
        storage: Storage, scope: Scope) -> None:
    keys, brokers = service(storage)
    with pytest.raises(UserError) as refused:
        await keys.link(owner_id=OWNER, secret=RO, name="watch", scope=scope, private_chat_id=PRIVATE)
    message = refused.value.message
    assert "fxs_ro_… key is a read-only key" in message and f"cannot be linked as {scope.value}" in message
    assert "nothing was stored" in message and RO not in message
    assert brokers.secrets_tried == [] and brokers.broker.calls == []  # no network call at all
    assert await storage.keys.list_for_owner(OWNER) == []
    assert await storage.bindings.get(PRIVATE) is None


async def test_the_scope_refusal_comes_before_the_backend_factory(storage: Storage) -> None:
    """With no backend for terminal-API keys registered, the reason given is still the scope, not the key kind."""
    keys = KeyService(storage=storage, brokers=BrokerProvider(storage, BrokerBackends([])))
    with pytest.raises(UserError, match="read-only key"):
        await keys.link(owner_id=OWNER, secret=RO, name=None, scope=Scope.TRADE, private_chat_id=None)
    with pytest.raises(UserError, match="does not support yet"):  # a valid scope gets as far as the factory
        await keys.link(owner_id=OWNER, secret=RO, name=None, scope=Scope.READ_ONLY, private_chat_id=None)
    assert await storage.keys.list_for_owner(OWNER) == []


async def test_a_read_only_key_with_no_scope_is_stored_read_only(storage: Storage) -> None:
    keys, brokers = service(storage)
    linked = await keys.link(owner_id=OWNER, secret=RO, name=None, scope=None, private_chat_id=PRIVATE)
    assert linked.key.scope is Scope.READ_ONLY and linked.scopes.is_read_only and linked.bound_here
    assert brokers.secrets_tried == [RO]
    reply = link_reply(linked)
    assert reply.kind is ReplyKind.OK
    assert any("is read-only" in line and "never trade" in line for line in reply.text)
    assert not any("you declared" in line for line in reply.text)


async def test_relinking_a_read_only_key_as_full_is_refused(storage: Storage) -> None:
    keys, brokers = service(storage)
    await keys.link(owner_id=OWNER, secret=RO, name="watch", scope=Scope.READ_ONLY, private_chat_id=None)
    with pytest.raises(UserError, match="cannot be linked as full"):
        await keys.link(owner_id=OWNER, secret=RO, name=None, scope=Scope.FULL, private_chat_id=None)
    stored = await storage.keys.get_by_name(OWNER, "watch")
    assert stored is not None and stored.scope is Scope.READ_ONLY
    assert brokers.secrets_tried == [RO]  # only the first link was checked with FxSocket


@pytest.mark.parametrize(("declared", "stored"), [(None, Scope.FULL), (Scope.FULL, Scope.FULL),
                                                  (Scope.TRADE, Scope.TRADE), (Scope.READ_ONLY, Scope.READ_ONLY)])
async def test_a_live_key_is_full_unless_capped_and_always_warned_about(
        storage: Storage, declared: Scope | None, stored: Scope) -> None:
    keys, _ = service(storage)
    linked = await keys.link(owner_id=OWNER, secret=LIVE, name="desk", scope=declared, private_chat_id=None)
    assert linked.key.scope is stored and linked.scopes.is_live
    reply = link_reply(linked)
    text = "\n".join(reply.text)
    assert reply.kind is ReplyKind.WARNING and LIVE_KEY_WARNING in reply.text
    assert "master key" in text and "read-only key (fxs_ro_…)" in text and LIVE not in text
    if stored is Scope.FULL:
        assert "/link fxs_live_… desk trade" in text
    else:
        assert f"fxbot keeps it to {stored.value}" in text


async def test_capping_a_linked_live_key_keeps_the_warning(storage: Storage) -> None:
    keys, _ = service(storage)
    await keys.link(owner_id=OWNER, secret=LIVE, name="desk", scope=None, private_chat_id=None)
    again = await keys.link(owner_id=OWNER, secret=LIVE, name=None, scope=Scope.TRADE, private_chat_id=None)
    assert again.updated_scope_from is Scope.FULL and again.key.scope is Scope.TRADE
    reply = link_reply(again)
    assert reply.text[0].endswith("is now declared trade (it was full)")
    assert LIVE_KEY_WARNING in reply.text and reply.kind is ReplyKind.WARNING


async def test_a_v1_key_keeps_the_declared_scope_rules(storage: Storage) -> None:
    keys, _ = service(storage)
    linked = await keys.link(owner_id=OWNER, secret=V1, name=None, scope=None, private_chat_id=None)
    assert linked.key.scope is Scope.TRADE and not linked.scopes.revealed
    reply = link_reply(linked)
    assert reply.kind is ReplyKind.OK and any("what you declared" in line for line in reply.text)
    assert LIVE_KEY_WARNING not in reply.text


def test_key_scopes_by_prefix() -> None:
    assert (key_scopes(RO).ceiling, key_scopes(RO).default) == (Scope.READ_ONLY, Scope.READ_ONLY)
    assert (key_scopes(LIVE).ceiling, key_scopes(LIVE).default) == (Scope.FULL, Scope.FULL)
    assert (key_scopes(V1).ceiling, key_scopes(V1).default, key_scopes(V1).revealed) == (
        Scope.FULL, Scope.TRADE, False)
    assert key_scopes("not-a-key").default is Scope.TRADE
    assert key_scopes(RO).refusal(Scope.READ_ONLY) is None and key_scopes(LIVE).refusal(Scope.FULL) is None
    assert capped(RO, Scope.FULL) is Scope.READ_ONLY and capped(LIVE, Scope.TRADE) is Scope.TRADE
    assert RO not in repr(key_scopes(RO))


class ConsoleSettings:
    def __init__(self, secret: str, scope: Scope) -> None:
        self.api_key: SecretStr | None = SecretStr(secret)
        self.scope = scope
        self.key_name = "console"


async def test_the_console_key_is_capped_to_what_its_kind_allows(storage: Storage) -> None:
    await ensure_console_key(storage, ConsoleSettings(RO, Scope.TRADE))
    stored = await storage.keys.get_by_name(CONSOLE_USER_ID, "console")
    assert stored is not None and stored.scope is Scope.READ_ONLY
    await ensure_console_key(storage, ConsoleSettings(LIVE, Scope.TRADE))
    live = await storage.keys.get_by_name(CONSOLE_USER_ID, "console")
    assert live is not None and live.scope is Scope.TRADE
