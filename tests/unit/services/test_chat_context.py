"""The storage-backed ChatContextResolver: roles in private and group chats, and the chat's key."""

from __future__ import annotations

from fxbot.chat.types import ChatKind, ChatRef, ChatUser
from fxbot.domain.access import Role, Scope
from fxbot.services.chat_context import StorageChatContextResolver
from fxbot.services.team import platform_admin_marker
from fxbot.storage import Storage

ALICE = ChatUser("telegram:1", "Alice")
BOB = ChatUser("telegram:2", "Bob")
TG_ADMIN = ChatUser("telegram:3", "Carol", is_platform_admin=True)
PRIVATE = ChatRef("telegram:1", ChatKind.PRIVATE, "telegram")
GROUP = ChatRef("telegram:-100", ChatKind.GROUP, "telegram")
CONSOLE_GROUP = ChatRef("console:room", ChatKind.GROUP, "console")


async def test_the_owner_of_a_private_chat_is_its_admin_and_sees_the_key(storage: Storage) -> None:
    resolver = StorageChatContextResolver(storage=storage)
    bare = await resolver.resolve(PRIVATE, ALICE)
    assert bare.role is Role.ADMIN and bare.key_scope is None and bare.key_name is None
    key = await storage.keys.add(ALICE.id, "main", "sk_test_aaaaaaaaaaaaaaaaaaaaaaaa", Scope.READ_ONLY)
    await storage.bindings.bind(PRIVATE.id, key.id, bound_by=ALICE.id, account_id="acc_1")
    ctx = await resolver.resolve(PRIVATE, ALICE)
    assert (ctx.key_scope, ctx.key_name, ctx.account_id, ctx.binding_owner) == (
        Scope.READ_ONLY, "main", "acc_1", ALICE.id)
    assert await storage.members.list(PRIVATE.id) == []


async def test_a_new_group_member_is_a_viewer_and_is_recorded(storage: Storage) -> None:
    await storage.members.set_role(GROUP.id, ALICE.id, Role.ADMIN, "Alice")
    ctx = await StorageChatContextResolver(storage=storage).resolve(GROUP, BOB)
    assert ctx.role is Role.VIEWER
    member = await storage.members.get(GROUP.id, BOB.id)
    assert member is not None and member.role is Role.VIEWER and member.display_name == "Bob"


async def test_a_platform_admin_is_recorded_as_admin_unless_configured_otherwise(storage: Storage) -> None:
    await storage.members.set_role(GROUP.id, ALICE.id, Role.ADMIN, "Alice")
    assert (await StorageChatContextResolver(storage=storage).resolve(GROUP, TG_ADMIN)).role is Role.ADMIN
    other_group = ChatRef("telegram:-200", ChatKind.GROUP, "telegram")
    await storage.members.set_role(other_group.id, ALICE.id, Role.ADMIN, "Alice")
    strict = StorageChatContextResolver(storage=storage, platform_admins_are_admins=False)
    assert (await strict.resolve(other_group, TG_ADMIN)).role is Role.VIEWER


async def test_a_platform_admins_stored_role_is_raised_and_marked(storage: Storage) -> None:
    await storage.members.set_role(GROUP.id, ALICE.id, Role.ADMIN, "Alice")
    await storage.members.set_role(GROUP.id, TG_ADMIN.id, Role.TRADER, "Carol")
    resolver = StorageChatContextResolver(storage=storage)
    assert (await resolver.resolve(GROUP, TG_ADMIN)).role is Role.ADMIN
    member = await storage.members.get(GROUP.id, TG_ADMIN.id)
    assert member is not None and member.role is Role.ADMIN
    assert await storage.settings.get_value(GROUP.id, platform_admin_marker(TG_ADMIN.id)) == "yes"
    # No longer a platform admin: keeps the stored admin role, loses the marker.
    no_longer = ChatUser(TG_ADMIN.id, "Carol")
    assert (await resolver.resolve(GROUP, no_longer)).role is Role.ADMIN
    assert await storage.settings.get_value(GROUP.id, platform_admin_marker(TG_ADMIN.id)) is None


async def test_in_a_group_without_admin_only_platform_admins_act_as_admin(storage: Storage) -> None:
    resolver = StorageChatContextResolver(storage=storage, platform_admins_are_admins=False)
    assert (await resolver.resolve(GROUP, BOB)).role is Role.VIEWER
    assert (await resolver.resolve(GROUP, TG_ADMIN)).role is Role.ADMIN  # may claim the group with /bind
    assert await storage.members.count_admins(GROUP.id) == 0


async def test_where_the_platform_reports_no_admins_anyone_may_claim_an_adminless_group(storage: Storage) -> None:
    resolver = StorageChatContextResolver(storage=storage)
    assert (await resolver.resolve(CONSOLE_GROUP, ChatUser("console:a", "A"))).role is Role.ADMIN
    await storage.members.set_role(CONSOLE_GROUP.id, "console:a", Role.ADMIN, "A")  # what /bind does
    assert (await resolver.resolve(CONSOLE_GROUP, ChatUser("console:b", "B"))).role is Role.VIEWER


async def test_a_renamed_member_keeps_the_role(storage: Storage) -> None:
    await storage.members.set_role(GROUP.id, ALICE.id, Role.ADMIN, "Alice")
    await storage.members.set_role(GROUP.id, BOB.id, Role.TRADER, "Bob")
    ctx = await StorageChatContextResolver(storage=storage).resolve(GROUP, ChatUser(BOB.id, "Robert"))
    assert ctx.role is Role.TRADER
    member = await storage.members.get(GROUP.id, BOB.id)
    assert member is not None and member.display_name == "Robert"
