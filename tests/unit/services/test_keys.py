"""KeyService: linking (after validation), re-declaring a scope, listing, unlinking and binding keys."""

from __future__ import annotations

import pytest

from fxbot.chat.types import ChatKind, ChatRef, ChatUser
from fxbot.domain.access import Role, Scope
from fxbot.domain.broker import AccountSummary, BrokerBackends, KeyRefusedError, UnreachableError
from fxbot.errors import NotFound, UpstreamUnavailable, UsageError, UserError
from fxbot.services.brokers import BrokerProvider
from fxbot.services.keys import DEFAULT_SCOPE, KeyService
from fxbot.storage import Storage
from tests.unit.services.fake_chat_broker import ACCOUNTS, FakeBrokers, ScriptedBroker

ALICE = ChatUser("telegram:1", "Alice")
BOB = ChatUser("telegram:2", "Bob")
PRIVATE = ChatRef("telegram:1", ChatKind.PRIVATE, "telegram")
GROUP = ChatRef("telegram:-100", ChatKind.GROUP, "telegram")
SECRET = "sk_test_0123456789abcdefghijklmn"
OTHER = "sk_test_zyxwvutsrqponmlkjihgfedcb"


def make(storage: Storage, brokers: FakeBrokers | None = None, accepted: bool = True) -> KeyService:
    service = KeyService(storage=storage, brokers=brokers or FakeBrokers(ScriptedBroker()))  # type: ignore[arg-type]

    async def validate(secret: str) -> tuple[AccountSummary, ...]:
        if not accepted:
            raise UserError("FxSocket refused this key (unknown or revoked) — nothing was stored")
        return tuple(ACCOUNTS)

    service.validate_secret = validate  # type: ignore[method-assign]
    return service


async def test_the_first_key_is_bound_to_the_private_chat(storage: Storage) -> None:
    keys = make(storage)
    first = await keys.link(owner_id=ALICE.id, secret=SECRET, name=None, scope=None, private_chat_id=PRIVATE.id)
    assert first.key.name == "main" and first.key.scope is DEFAULT_SCOPE is Scope.TRADE and first.bound_here
    assert SECRET not in repr(first) and SECRET not in first.key.fingerprint
    second = await keys.link(owner_id=ALICE.id, secret=OTHER, name=None, scope=Scope.FULL, private_chat_id=PRIVATE.id)
    assert second.key.name == "key2" and not second.bound_here
    binding = await storage.bindings.get(PRIVATE.id)
    assert binding is not None and binding.key_id == first.key.id


async def test_a_refused_key_is_not_stored(storage: Storage) -> None:
    with pytest.raises(UserError, match="nothing was stored"):
        await make(storage, accepted=False).link(owner_id=ALICE.id, secret=SECRET, name="x", scope=None,
                                                 private_chat_id=PRIVATE.id)
    assert await storage.keys.list_for_owner(ALICE.id) == []
    assert await storage.bindings.get(PRIVATE.id) is None


async def test_a_duplicate_name_or_secret_is_refused(storage: Storage) -> None:
    keys = make(storage)
    await keys.link(owner_id=ALICE.id, secret=SECRET, name="main", scope=None, private_chat_id=None)
    with pytest.raises(UserError, match="already have a key named 'main'"):
        await keys.link(owner_id=ALICE.id, secret=OTHER, name="main", scope=None, private_chat_id=None)
    with pytest.raises(UserError, match="already linked as 'main'"):
        await keys.link(owner_id=ALICE.id, secret=SECRET, name="other", scope=None, private_chat_id=None)
    with pytest.raises(UsageError):
        await keys.link(owner_id=ALICE.id, secret="two words", name=None, scope=None, private_chat_id=None)
    assert [k.name for k in await storage.keys.list_for_owner(ALICE.id)] == ["main"]


async def test_relinking_the_same_key_with_a_scope_changes_only_the_scope(storage: Storage) -> None:
    brokers = FakeBrokers(ScriptedBroker())
    keys = make(storage, brokers)
    linked = await keys.link(owner_id=ALICE.id, secret=SECRET, name="main", scope=Scope.READ_ONLY,
                             private_chat_id=None)
    again = await keys.link(owner_id=ALICE.id, secret=SECRET, name=None, scope=Scope.FULL, private_chat_id=None)
    assert again.updated_scope_from is Scope.READ_ONLY and again.key.scope is Scope.FULL
    assert brokers.invalidated == [linked.key.id]


async def test_keys_list_the_chats_using_them_and_unlink_unbinds(storage: Storage) -> None:
    brokers = FakeBrokers(ScriptedBroker())
    keys = make(storage, brokers)
    linked = await keys.link(owner_id=ALICE.id, secret=SECRET, name="desk", scope=None, private_chat_id=PRIVATE.id)
    await keys.bind(GROUP, ALICE, "desk")
    usage = await keys.keys(ALICE.id)
    assert [(u.key.name, u.chats) for u in usage] == [("desk", (GROUP.id, PRIVATE.id))]
    removed = await keys.unlink(ALICE.id, "desk")
    assert removed.chats == (GROUP.id, PRIVATE.id)
    assert brokers.invalidated == [linked.key.id]
    assert await storage.bindings.get(GROUP.id) is None and await storage.keys.list_for_owner(ALICE.id) == []
    with pytest.raises(NotFound, match="no key named 'desk'"):
        await keys.unlink(ALICE.id, "desk")


async def test_bind_in_a_group_makes_the_binder_admin(storage: Storage) -> None:
    keys = make(storage)
    await keys.link(owner_id=ALICE.id, secret=SECRET, name="desk", scope=None, private_chat_id=None)
    result = await keys.bind(GROUP, ALICE, "desk")
    assert result.made_admin and result.previous is None and len(result.accounts) == 2
    member = await storage.members.get(GROUP.id, ALICE.id)
    assert member is not None and member.role is Role.ADMIN
    assert not (await keys.bind(GROUP, ALICE, "desk")).made_admin


async def test_only_the_binders_own_keys_can_be_bound(storage: Storage) -> None:
    keys = make(storage)
    await keys.link(owner_id=ALICE.id, secret=SECRET, name="desk", scope=None, private_chat_id=None)
    with pytest.raises(NotFound, match="you have no key named 'desk'"):
        await keys.bind(GROUP, BOB, "desk")
    assert await storage.bindings.get(GROUP.id) is None
    assert await storage.members.get(GROUP.id, BOB.id) is None


async def test_rebinding_keeps_the_account_only_for_the_same_key(storage: Storage) -> None:
    keys = make(storage)
    await keys.link(owner_id=ALICE.id, secret=SECRET, name="a", scope=None, private_chat_id=PRIVATE.id)
    await keys.link(owner_id=ALICE.id, secret=OTHER, name="b", scope=None, private_chat_id=PRIVATE.id)
    await storage.bindings.set_account(PRIVATE.id, "acc_4pQr7")
    await keys.bind(PRIVATE, ALICE, "a")
    same = await storage.bindings.get(PRIVATE.id)
    assert same is not None and same.account_id == "acc_4pQr7"
    switched = await keys.bind(PRIVATE, ALICE, "b")
    assert switched.previous == "a" and not switched.made_admin
    other = await storage.bindings.get(PRIVATE.id)
    assert other is not None and other.account_id is None


async def test_validate_secret_asks_fxsocket_through_the_provider(storage: Storage) -> None:
    brokers = FakeBrokers(ScriptedBroker())
    service = KeyService(storage=storage, brokers=brokers)  # type: ignore[arg-type]
    assert await service.validate_secret(SECRET) == tuple(ACCOUNTS)
    assert brokers.secrets_tried == [SECRET]
    brokers.broker.fail = KeyRefusedError("unknown key", status=401)
    with pytest.raises(UserError, match="FxSocket refused this key"):
        await service.validate_secret(SECRET)
    brokers.broker.fail = UnreachableError("down", write=False)
    with pytest.raises(UpstreamUnavailable, match="could not check the key with FxSocket"):
        await service.validate_secret(SECRET)
    assert await storage.keys.list_for_owner(ALICE.id) == []


class ClosingBroker(ScriptedBroker):
    """A scripted broker that owns resources: counts `aclose()` calls."""

    closed = 0

    async def aclose(self) -> None:
        self.closed += 1


async def test_validate_secret_closes_its_throw_away_client(storage: Storage) -> None:
    broker = ClosingBroker()
    service = KeyService(storage=storage, brokers=FakeBrokers(broker))  # type: ignore[arg-type]
    await service.validate_secret(SECRET)
    broker.fail = KeyRefusedError("unknown key", status=401)
    with pytest.raises(UserError):
        await service.validate_secret(SECRET)
    assert broker.closed == 2


async def test_a_key_no_backend_speaks_is_refused_with_the_reason_and_not_stored(storage: Storage) -> None:
    service = KeyService(storage=storage, brokers=BrokerProvider(storage, BrokerBackends()))
    with pytest.raises(UserError, match=r"keys starting with fxs_live_ are .* nothing was stored") as caught:
        await service.link(owner_id=ALICE.id, secret="fxs_live_0123456789abcdef", name=None, scope=None,
                           private_chat_id=PRIVATE.id)
    assert "0123456789abcdef" not in caught.value.message
    assert await storage.keys.list_for_owner(ALICE.id) == []
