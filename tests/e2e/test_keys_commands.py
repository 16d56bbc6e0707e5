"""e2e: /link, /keys, /unlink and /bind — validation with FxSocket, private-only, never echoing a key."""

from __future__ import annotations

from fxbot.chat.types import ChatUser, Reply, ReplyKind
from fxbot.domain.access import Scope
from tests.e2e.conftest import BotHarness, reply_text


class Transcript:
    """Everything the bot answered in a test, to check no key ever appears in it."""

    def __init__(self, bot: BotHarness, user: ChatUser) -> None:
        self.bot = bot
        self.user = user
        self.chat = bot.private_chat_of(user)
        self.replies: list[Reply] = []

    async def say(self, text: str, **where: object) -> list[Reply]:
        replies = await self.bot.say(text, user=self.user, chat=where.get("chat", self.chat))  # type: ignore[arg-type]
        self.replies.extend(replies)
        return replies

    def assert_never_shows(self, *secrets: str) -> None:
        text = reply_text(self.replies)
        for secret in secrets:
            assert secret not in text
            assert secret[8:] not in text  # not even the part after the sk_test_ prefix


async def test_link_validates_stores_binds_and_never_echoes(bot: BotHarness) -> None:
    dana = Transcript(bot, bot.user("dana"))
    full = bot.sim.keys["full"]
    replies = await dana.say(f"/link {full} desk full")
    text = reply_text(replies)
    assert replies[0].kind is ReplyKind.OK
    stored = await bot.storage.keys.get_by_name(dana.user.id, "desk")
    assert stored is not None and stored.scope is Scope.FULL
    assert f"linked key 'desk' ({stored.fingerprint}), scope full" in text and "2 trading accounts" in text
    assert "this chat now uses it" in text
    binding = await bot.storage.bindings.get(dana.chat.id)
    assert binding is not None and binding.key_id == stored.id
    assert "Balance" in reply_text(await dana.say("/account"))
    keys = (await dana.say("/keys"))[0]
    assert keys.table is not None and keys.table.rows == (("desk", "full", stored.fingerprint, dana.chat.id),)
    audit = await bot.storage.audit.recent(dana.chat.id, 10)
    assert audit and all(full not in entry.command and full not in entry.result for entry in audit)
    assert [e.command for e in audit if e.command.startswith("/link")] == ["/link [arguments hidden]"]
    dana.assert_never_shows(full)


async def test_link_defaults_to_main_and_trade_and_accepts_a_scope_alone(bot: BotHarness) -> None:
    erin = Transcript(bot, bot.user("erin"))
    await erin.say(f"/link {bot.sim.keys['read-only']}")
    first = await bot.storage.keys.get_by_name(erin.user.id, "main")
    assert first is not None and first.scope is Scope.TRADE
    await erin.say(f"/link {bot.sim.keys['full']} read-only")
    second = await bot.storage.keys.get_by_name(erin.user.id, "key2")
    assert second is not None and second.scope is Scope.READ_ONLY
    replies = await erin.say(f"/link {bot.sim.keys['read-only']} read-only")
    assert "now declared read-only (it was trade)" in reply_text(replies)
    erin.assert_never_shows(bot.sim.keys["read-only"], bot.sim.keys["full"])


async def test_a_refused_key_is_not_stored(bot: BotHarness) -> None:
    fred = Transcript(bot, bot.user("fred"))
    bogus = "sk_test_thisKeyDoesNotExist0000000"
    replies = await fred.say(f"/link {bogus} mine")
    assert replies[0].kind is ReplyKind.ERROR and "FxSocket refused this key" in reply_text(replies)
    assert await bot.storage.keys.list_for_owner(fred.user.id) == []
    assert await bot.storage.bindings.get(fred.chat.id) is None
    revoked = bot.sim.keys["read-only"]
    await bot.revoke(revoked)
    again = await fred.say(f"/link {revoked}")
    assert again[0].kind is ReplyKind.ERROR and await bot.storage.keys.list_for_owner(fred.user.id) == []
    fred.assert_never_shows(bogus, revoked)


async def test_link_in_a_group_is_refused_and_the_message_deleted(bot: BotHarness) -> None:
    gina = Transcript(bot, bot.user("gina"))
    group = await bot.group_chat("pasted")
    secret = bot.sim.keys["trade"]
    replies = await gina.say(f"/link {secret} mine", chat=group)
    assert replies[0].delete_user_message
    assert "private chat" in reply_text(replies)
    assert await bot.storage.keys.list_for_owner(gina.user.id) == []
    plain = await gina.say("/link notakeyshape mine", chat=group)
    assert plain[0].kind is ReplyKind.ERROR and "only works in a private chat" in reply_text(plain)
    assert plain[0].delete_user_message  # /link is sensitive: deleted whatever the key looks like
    assert await bot.storage.keys.list_for_owner(gina.user.id) == []
    [refused] = await bot.storage.audit.recent(group.id)
    assert refused.command == "/link [arguments hidden]" and not refused.ok
    gina.assert_never_shows(secret)


async def test_link_bad_input(bot: BotHarness) -> None:
    hugo = Transcript(bot, bot.user("hugo"))
    key = bot.sim.keys["trade"]
    for text, message in [
        ("/link", "missing KEY"),
        (f"/link {key} bad/name", "key name 'bad/name' must be"),
        (f"/link {key} main owner", "scope 'owner' must be one of"),
        (f"/link {key} trade full", "is a scope, not a key name"),
    ]:
        replies = await hugo.say(text)
        assert replies[0].kind is ReplyKind.ERROR and message in reply_text(replies), (text, reply_text(replies))
    assert await bot.storage.keys.list_for_owner(hugo.user.id) == []
    await hugo.say(f"/link {key} main")
    dup_name = await hugo.say(f"/link {bot.sim.keys['full']} main")
    assert "already have a key named 'main'" in reply_text(dup_name)
    dup_key = await hugo.say(f"/link {key} other")
    assert "already linked as 'main'" in reply_text(dup_key)
    assert [k.name for k in await bot.storage.keys.list_for_owner(hugo.user.id)] == ["main"]
    hugo.assert_never_shows(key, bot.sim.keys["full"])


async def test_unlink_removes_the_key_and_the_chats_lose_it(bot: BotHarness) -> None:
    ivy = Transcript(bot, bot.user("ivy"))
    await ivy.say(f"/link {bot.sim.keys['trade']} desk")
    replies = await ivy.say("/unlink desk")
    assert replies[0].kind is ReplyKind.OK and "removed key 'desk'" in reply_text(replies)
    assert ivy.chat.id in reply_text(replies)
    assert await bot.storage.keys.list_for_owner(ivy.user.id) == []
    refused = await ivy.say("/account")
    assert refused[0].kind is ReplyKind.ERROR and "no FxSocket key" in reply_text(refused)
    missing = await ivy.say("/unlink desk")
    assert missing[0].kind is ReplyKind.ERROR and "no key named 'desk'" in reply_text(missing)
    bad = await ivy.say("/unlink")
    assert bad[0].kind is ReplyKind.ERROR and "missing NAME" in reply_text(bad)
    in_group = await ivy.say("/keys", chat=await bot.group_chat("g"))
    assert in_group[0].kind is ReplyKind.ERROR and "private chat" in reply_text(in_group)


async def test_bind_switches_the_private_chats_key(bot: BotHarness) -> None:
    jack = Transcript(bot, bot.user("jack"))
    await jack.say(f"/link {bot.sim.keys['read-only']} ro read-only")
    await jack.say(f"/link {bot.sim.keys['trade']} tr trade")
    refused = await jack.say("/buy EURUSD 0.1")
    assert "read-only" in reply_text(refused) and await bot.sim_positions() == []
    switched = await jack.say("/bind tr")
    assert switched[0].kind is ReplyKind.OK and "now uses key 'tr'" in reply_text(switched)
    assert "replaces 'ro'" in reply_text(switched)
    assert "filled" in reply_text(await jack.say("/buy EURUSD 0.1"))
    unknown = await jack.say("/bind nope")
    assert unknown[0].kind is ReplyKind.ERROR and "no key named 'nope'" in reply_text(unknown)
    binding = await bot.storage.bindings.get(jack.chat.id)
    tr = await bot.storage.keys.get_by_name(jack.user.id, "tr")
    assert binding is not None and tr is not None and binding.key_id == tr.id


async def test_bind_of_a_revoked_key_is_refused(bot: BotHarness) -> None:
    kim = Transcript(bot, bot.user("kim"))
    await kim.say(f"/link {bot.sim.keys['read-only']} a")
    await kim.say(f"/link {bot.sim.keys['full']} b")
    await bot.revoke(bot.sim.keys["full"])
    replies = await kim.say("/bind b")
    assert replies[0].kind is ReplyKind.ERROR and "'b' was refused" in reply_text(replies)
    binding = await bot.storage.bindings.get(kim.chat.id)
    a = await bot.storage.keys.get_by_name(kim.user.id, "a")
    assert binding is not None and a is not None and binding.key_id == a.id
