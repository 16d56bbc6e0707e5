"""The storage-backed ChatContextResolver: roles in private and group chats, and the chat's key."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from fxbot.chat.types import ChatKind, ChatRef, ChatUser
from fxbot.domain.access import Role, Scope
from fxbot.errors import UsageError
from fxbot.services.chat_context import StorageChatContextResolver
from fxbot.services.team import TeamService, platform_admin_marker
from fxbot.storage import Storage
from fxbot.storage.database import WriteResult

ALICE = ChatUser("telegram:1", "Alice")
BOB = ChatUser("telegram:2", "Bob")
TG_ADMIN = ChatUser("telegram:3", "Carol", is_platform_admin=True)
PRIVATE = ChatRef("telegram:1", ChatKind.PRIVATE, "telegram")
GROUP = ChatRef("telegram:-100", ChatKind.GROUP, "telegram")
TELEGRAM = frozenset({"telegram"})  # what the Telegram plugin declares: it reports chat admins
# A platform from a third-party plugin that declares nothing about chat admins.
ROOM = ChatRef("matrix:!room", ChatKind.GROUP, "matrix")
MX_ANYONE = ChatUser("matrix:@anyone", "Anyone")
MX_CLAIMS_ADMIN = ChatUser("matrix:@mallory", "Mallory", is_platform_admin=True)


def resolver(storage: Storage, **options: Any) -> StorageChatContextResolver:
    return StorageChatContextResolver(storage=storage, platforms_reporting_admins=TELEGRAM, **options)


async def test_the_owner_of_a_private_chat_is_its_admin_and_sees_the_key(storage: Storage) -> None:
    bare = await resolver(storage).resolve(PRIVATE, ALICE)
    assert bare.role is Role.ADMIN and bare.key_scope is None and bare.key_name is None
    key = await storage.keys.add(ALICE.id, "main", "sk_test_aaaaaaaaaaaaaaaaaaaaaaaa", Scope.READ_ONLY)
    await storage.bindings.bind(PRIVATE.id, key.id, bound_by=ALICE.id, account_id="acc_1")
    ctx = await resolver(storage).resolve(PRIVATE, ALICE)
    assert (ctx.key_scope, ctx.key_name, ctx.account_id, ctx.binding_owner) == (
        Scope.READ_ONLY, "main", "acc_1", ALICE.id)
    assert await storage.members.list(PRIVATE.id) == []


async def test_a_new_group_member_is_a_viewer_and_is_recorded(storage: Storage) -> None:
    await storage.members.set_role(GROUP.id, ALICE.id, Role.ADMIN, "Alice")
    ctx = await resolver(storage).resolve(GROUP, BOB)
    assert ctx.role is Role.VIEWER
    member = await storage.members.get(GROUP.id, BOB.id)
    assert member is not None and member.role is Role.VIEWER and member.display_name == "Bob"


async def test_a_platform_admin_is_recorded_as_admin_unless_configured_otherwise(storage: Storage) -> None:
    await storage.members.set_role(GROUP.id, ALICE.id, Role.ADMIN, "Alice")
    assert (await resolver(storage).resolve(GROUP, TG_ADMIN)).role is Role.ADMIN
    other_group = ChatRef("telegram:-200", ChatKind.GROUP, "telegram")
    await storage.members.set_role(other_group.id, ALICE.id, Role.ADMIN, "Alice")
    strict = resolver(storage, platform_admins_are_admins=False)
    assert (await strict.resolve(other_group, TG_ADMIN)).role is Role.VIEWER


async def test_a_platform_admins_stored_role_is_raised_and_marked(storage: Storage) -> None:
    await storage.members.set_role(GROUP.id, ALICE.id, Role.ADMIN, "Alice")
    await storage.members.set_role(GROUP.id, TG_ADMIN.id, Role.TRADER, "Carol")
    assert (await resolver(storage).resolve(GROUP, TG_ADMIN)).role is Role.ADMIN
    member = await storage.members.get(GROUP.id, TG_ADMIN.id)
    assert member is not None and member.role is Role.ADMIN
    assert await storage.settings.get_value(GROUP.id, platform_admin_marker(TG_ADMIN.id)) == "yes"
    # No longer a platform admin: keeps the stored admin role, loses the marker.
    no_longer = ChatUser(TG_ADMIN.id, "Carol", is_platform_admin=False)
    assert (await resolver(storage).resolve(GROUP, no_longer)).role is Role.ADMIN
    assert await storage.settings.get_value(GROUP.id, platform_admin_marker(TG_ADMIN.id)) is None


async def test_an_fxbot_admin_who_becomes_a_platform_admin_is_marked_too(storage: Storage) -> None:
    await storage.members.set_role(GROUP.id, TG_ADMIN.id, Role.ADMIN, "Carol")  # made admin with /role earlier
    assert (await resolver(storage).resolve(GROUP, TG_ADMIN)).role is Role.ADMIN
    assert await storage.settings.get_value(GROUP.id, platform_admin_marker(TG_ADMIN.id)) == "yes"


async def test_when_the_platform_cannot_tell_a_platform_admin_keeps_the_marker(storage: Storage) -> None:
    """A failed getChatAdministrators (no cached answer) reports "unknown", not "not an admin"."""
    await storage.members.set_role(GROUP.id, ALICE.id, Role.ADMIN, "Alice")
    assert (await resolver(storage).resolve(GROUP, TG_ADMIN)).role is Role.ADMIN
    unknown = ChatUser(TG_ADMIN.id, "Carol", is_platform_admin=None)
    assert (await resolver(storage).resolve(GROUP, unknown)).role is Role.ADMIN
    assert await storage.settings.get_value(GROUP.id, platform_admin_marker(TG_ADMIN.id)) == "yes"
    with pytest.raises(UsageError, match="administers this chat"):
        await TeamService(storage=storage).set_role(GROUP.id, TG_ADMIN.id, Role.VIEWER)
    # ... and an unknown status never makes anyone an admin
    assert (await resolver(storage).resolve(GROUP, ChatUser("telegram:9", "Dan", is_platform_admin=None))
            ).role is Role.VIEWER


async def test_an_fxbot_admin_who_is_not_a_platform_admin_causes_no_writes(
        storage: Storage, monkeypatch: pytest.MonkeyPatch) -> None:
    await storage.members.set_role(GROUP.id, ALICE.id, Role.ADMIN, "Alice")
    writes: list[str] = []
    execute: Callable[..., Awaitable[WriteResult]] = storage.db.execute

    async def counting(sql: str, params: Any = ()) -> WriteResult:
        writes.append(sql)
        return await execute(sql, params)

    monkeypatch.setattr(storage.db, "execute", counting)
    for _ in range(5):
        assert (await resolver(storage).resolve(GROUP, ChatUser(ALICE.id, "Alice", is_platform_admin=False))
                ).role is Role.ADMIN
    assert writes == []


async def test_a_platform_admin_speaking_again_causes_no_writes(
        storage: Storage, monkeypatch: pytest.MonkeyPatch) -> None:
    assert (await resolver(storage).resolve(GROUP, TG_ADMIN)).role is Role.ADMIN  # recorded and marked once
    writes: list[str] = []
    execute: Callable[..., Awaitable[WriteResult]] = storage.db.execute

    async def counting(sql: str, params: Any = ()) -> WriteResult:
        writes.append(sql)
        return await execute(sql, params)

    monkeypatch.setattr(storage.db, "execute", counting)
    for _ in range(5):
        assert (await resolver(storage).resolve(GROUP, TG_ADMIN)).role is Role.ADMIN
    assert writes == []


async def test_in_a_group_without_admin_only_platform_admins_act_as_admin(storage: Storage) -> None:
    strict = resolver(storage, platform_admins_are_admins=False)
    assert (await strict.resolve(GROUP, BOB)).role is Role.VIEWER
    assert (await strict.resolve(GROUP, TG_ADMIN)).role is Role.ADMIN  # may claim the group with /bind
    assert await storage.members.count_admins(GROUP.id) == 0


async def test_where_the_platform_reports_no_admins_nobody_is_admin_until_one_is_set(storage: Storage) -> None:
    for anyone in (MX_ANYONE, MX_CLAIMS_ADMIN):  # the flag of a platform that does not report admins counts not
        assert (await resolver(storage).resolve(ROOM, anyone)).role is Role.VIEWER
    assert await storage.members.count_admins(ROOM.id) == 0
    assert await storage.settings.get_value(ROOM.id, platform_admin_marker(MX_CLAIMS_ADMIN.id)) is None
    await storage.members.set_role(ROOM.id, MX_ANYONE.id, Role.ADMIN, "Anyone")  # `fxbot grant-admin`
    assert (await resolver(storage).resolve(ROOM, MX_ANYONE)).role is Role.ADMIN
    assert (await resolver(storage).resolve(ROOM, MX_CLAIMS_ADMIN)).role is Role.VIEWER
    # A private chat's only user stays its admin on any platform.
    dm = ChatRef("matrix:@anyone-dm", ChatKind.PRIVATE, "matrix")
    assert (await resolver(storage).resolve(dm, MX_CLAIMS_ADMIN)).role is Role.ADMIN


async def test_by_default_no_platform_is_trusted_to_report_admins(storage: Storage) -> None:
    bare = StorageChatContextResolver(storage=storage)
    assert (await bare.resolve(GROUP, TG_ADMIN)).role is Role.VIEWER


async def test_a_renamed_member_keeps_the_role(storage: Storage) -> None:
    await storage.members.set_role(GROUP.id, ALICE.id, Role.ADMIN, "Alice")
    await storage.members.set_role(GROUP.id, BOB.id, Role.TRADER, "Bob")
    ctx = await resolver(storage).resolve(GROUP, ChatUser(BOB.id, "Robert"))
    assert ctx.role is Role.TRADER
    member = await storage.members.get(GROUP.id, BOB.id)
    assert member is not None and member.display_name == "Robert"
