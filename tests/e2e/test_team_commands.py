"""e2e: sharing a key with a group (/bind), roles (/role), /members and /audit, and who may claim a group."""

from __future__ import annotations

from fxbot.admin_grant import grant_admin
from fxbot.chat.types import ChatKind, ChatRef, ChatUser, ReplyKind
from fxbot.domain.access import Role
from tests.e2e.conftest import BotHarness, reply_text

TG_GROUP = ChatRef("telegram:-1001", ChatKind.GROUP, "telegram", title="Desk")


def tg(name: str, *, admin: bool = False) -> ChatUser:
    return ChatUser(f"telegram:{name}", name, is_platform_admin=admin)


def dm(user: ChatUser) -> ChatRef:
    return ChatRef(user.id, ChatKind.PRIVATE, "telegram")


async def role_of(bot: BotHarness, chat: ChatRef, user: ChatUser) -> Role | None:
    member = await bot.storage.members.get(chat.id, user.id)
    return None if member is None else member.role


async def test_bind_role_members_audit_flow_in_a_telegram_group(bot: BotHarness) -> None:
    alice, alice_admin = tg("alice"), tg("alice", admin=True)
    carol_admin, bob = tg("carol", admin=True), tg("bob")
    await bot.say(f"/link {bot.sim.keys['trade']} desk", user=alice, chat=dm(alice))

    # Not a Telegram admin and the group has no fxbot admin: alice may not claim it.
    refused = await bot.say("/bind desk", user=alice, chat=TG_GROUP)
    assert refused[0].kind is ReplyKind.ERROR and "needs a chat admin" in reply_text(refused)
    assert await bot.storage.bindings.get(TG_GROUP.id) is None
    # A Telegram admin may, but only with a key they own.
    not_theirs = await bot.say("/bind desk", user=carol_admin, chat=TG_GROUP)
    assert not_theirs[0].kind is ReplyKind.ERROR and "you have no key named 'desk'" in reply_text(not_theirs)
    assert await bot.storage.bindings.get(TG_GROUP.id) is None

    bound = await bot.say("/bind desk", user=alice_admin, chat=TG_GROUP)
    assert bound[0].kind is ReplyKind.OK and "this chat now uses key 'desk'" in reply_text(bound)
    assert await role_of(bot, TG_GROUP, alice) is Role.ADMIN
    binding = await bot.storage.bindings.get(TG_GROUP.id)
    assert binding is not None and binding.bound_by == alice.id

    # Newcomers are viewers: they read but neither trade nor manage.
    assert "bid" in reply_text(await bot.say("/quote EURUSD", user=bob, chat=TG_GROUP))
    assert await role_of(bot, TG_GROUP, bob) is Role.VIEWER
    no_trade = await bot.say("/buy EURUSD 0.1", user=bob, chat=TG_GROUP)
    assert no_trade[0].kind is ReplyKind.ERROR and "needs a trader" in reply_text(no_trade)
    no_manage = await bot.say("/role @bob admin", user=bob, chat=TG_GROUP)
    assert no_manage[0].kind is ReplyKind.ERROR and await role_of(bot, TG_GROUP, bob) is Role.VIEWER
    assert (await bot.say("/audit", user=bob, chat=TG_GROUP))[0].kind is ReplyKind.ERROR

    promoted = await bot.say("/role @bob trader", user=alice, chat=TG_GROUP)
    assert "bob is now a trader (was viewer)" in reply_text(promoted)
    card = (await bot.say("/buy EURUSD 0.1", user=bob, chat=TG_GROUP))[0]
    assert [b.label for b in card.buttons][:1] == ["Confirm BUY"]  # groups confirm every order by default

    members = (await bot.say("/members", user=bob, chat=TG_GROUP))[0]
    assert members.table is not None
    assert [(row[0], row[1]) for row in members.table.rows] == [
        ("alice", "admin"), ("carol", "admin"), ("bob", "trader")]

    platform_admin = await bot.say("/role @carol viewer", user=alice, chat=TG_GROUP)
    assert platform_admin[0].kind is ReplyKind.ERROR and "administers this chat" in reply_text(platform_admin)
    assert await role_of(bot, TG_GROUP, carol_admin) is Role.ADMIN
    stranger = await bot.say("/role @zoe trader", user=alice, chat=TG_GROUP)
    assert stranger[0].kind is ReplyKind.ERROR and "don't know '@zoe'" in reply_text(stranger)
    bad_role = await bot.say("/role @bob boss", user=alice, chat=TG_GROUP)
    assert bad_role[0].kind is ReplyKind.ERROR and "role 'boss' must be one of" in reply_text(bad_role)
    assert await role_of(bot, TG_GROUP, bob) is Role.TRADER

    audit = (await bot.say("/audit 5", user=alice, chat=TG_GROUP))[0]
    assert audit.table is not None and len(audit.table.rows) == 5
    commands = [row[2] for row in audit.table.rows]
    assert commands[0] == "/role @bob boss" and audit.table.rows[0][3] == "failed"
    assert "/role @bob trader" in commands
    full = (await bot.say("/audit", user=alice, chat=TG_GROUP))[0]
    assert full.table is not None
    rows = {row[2]: row for row in full.table.rows}
    assert rows["/bind desk"][1] in ("alice", "carol")
    assert rows["/role @bob trader"][1] == "alice" and rows["/role @bob trader"][3] == "ok"
    assert all(row[5].endswith(" ms") for row in full.table.rows)
    too_many = await bot.say("/audit 51", user=alice, chat=TG_GROUP)
    assert too_many[0].kind is ReplyKind.ERROR and "above the maximum of 50" in reply_text(too_many)


async def test_platform_admins_are_admins_and_cannot_be_demoted_by_role(bot: BotHarness) -> None:
    alice_admin, dave, dave_admin = tg("alice", admin=True), tg("dave"), tg("dave", admin=True)
    await bot.say(f"/link {bot.sim.keys['trade']} desk", user=alice_admin, chat=dm(alice_admin))
    await bot.say("/bind desk", user=alice_admin, chat=TG_GROUP)
    await bot.say("/members", user=dave, chat=TG_GROUP)
    assert await role_of(bot, TG_GROUP, dave) is Role.VIEWER
    await bot.say("/members", user=dave_admin, chat=TG_GROUP)  # dave was made a Telegram admin meanwhile
    assert await role_of(bot, TG_GROUP, dave) is Role.ADMIN
    demoted = await bot.say("/role @dave viewer", user=alice_admin, chat=TG_GROUP)
    assert demoted[0].kind is ReplyKind.ERROR and "remove their admin rights there first" in reply_text(demoted)
    assert await role_of(bot, TG_GROUP, dave) is Role.ADMIN
    await bot.say("/members", user=dave, chat=TG_GROUP)  # no longer a Telegram admin
    assert "dave is now a viewer" in reply_text(await bot.say("/role @dave viewer", user=alice_admin,
                                                              chat=TG_GROUP))


async def test_a_group_without_admins_is_claimed_by_nobody_until_an_admin_is_granted(bot: BotHarness) -> None:
    lea, max_ = bot.user("lea"), bot.user("max")
    group = ChatRef("console:room", ChatKind.GROUP, "console")
    await bot.say(f"/link {bot.sim.keys['read-only']} ro", user=lea, chat=bot.private_chat_of(lea))
    first = await bot.say("/bind ro", user=lea, chat=group)  # the first to /bind does not get the group
    assert first[0].kind is ReplyKind.ERROR and "needs a chat admin" in reply_text(first)
    assert await bot.storage.bindings.get(group.id) is None
    await grant_admin(bot.storage, group.id, lea.id)  # `fxbot grant-admin` on the host
    assert (await bot.say("/bind ro", user=lea, chat=group))[0].kind is ReplyKind.OK
    assert await role_of(bot, group, lea) is Role.ADMIN
    await bot.say("/members", user=max_, chat=group)
    assert await role_of(bot, group, max_) is Role.VIEWER
    last = await bot.say("/role @lea viewer", user=lea, chat=group)
    assert last[0].kind is ReplyKind.ERROR and "last admin" in reply_text(last)
    assert await role_of(bot, group, lea) is Role.ADMIN
    await bot.say(f"/link {bot.sim.keys['trade']} tr", user=max_, chat=bot.private_chat_of(max_))
    takeover = await bot.say("/bind tr", user=max_, chat=group)
    assert takeover[0].kind is ReplyKind.ERROR
    binding = await bot.storage.bindings.get(group.id)
    ro = await bot.storage.keys.get_by_name(lea.id, "ro")
    assert binding is not None and ro is not None and binding.key_id == ro.id


async def test_role_in_a_private_chat_is_refused(bot: BotHarness) -> None:
    replies = await bot.say("/role @owner viewer")
    assert replies[0].kind is ReplyKind.ERROR and "group chats" in reply_text(replies)


async def test_members_and_audit_in_a_fresh_group(bot: BotHarness) -> None:
    group = await bot.group_chat("fresh", scope=None)
    members = (await bot.say("/members", chat=group))[0]
    assert members.table is not None and [row[0] for row in members.table.rows] == ["owner"]
    assert "no state-changing command" in reply_text(await bot.say("/audit", chat=group))
