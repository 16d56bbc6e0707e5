"""e2e: /settings (show, confirm, timezone), and bindings, roles and settings surviving a restart."""

from __future__ import annotations

from pathlib import Path

from fxbot.chat.types import ChatKind, ChatRef, ReplyKind
from fxbot.domain.access import Role
from fxbot.simulator.runner import RunningSimulator
from fxbot.storage import Storage
from tests.e2e.conftest import BotHarness, FakeClock, assemble_bot, close_bot, reply_text


async def test_settings_show_defaults(bot: BotHarness) -> None:
    text = reply_text(await bot.say("/settings"))
    assert "order confirmation: confirm orders above 1.00 lot (default for private chats)" in text
    assert "time zone: UTC (default)" in text and "key: sim-trade" in text


async def test_showing_settings_is_not_audited_but_changing_them_is(bot: BotHarness) -> None:
    await bot.say("/settings")
    assert await bot.storage.audit.recent(bot.private_chat.id) == []
    await bot.say("/settings timezone Europe/Berlin")
    await bot.say("/settings")
    [changed] = await bot.storage.audit.recent(bot.private_chat.id)
    assert changed.command == "/settings timezone Europe/Berlin" and changed.ok


async def test_settings_confirm_changes_how_orders_are_sent(bot: BotHarness) -> None:
    changed = await bot.say("/settings confirm always")
    assert changed[0].kind is ReplyKind.OK and "confirm every order" in reply_text(changed)
    assert (await bot.storage.settings.get(bot.private_chat.id)).confirm_mode == "always"
    card = (await bot.say("/buy EURUSD 0.1"))[0]
    assert card.buttons and await bot.sim_positions() == []
    await bot.say("/settings confirm above 0.5")
    stored = await bot.storage.settings.get(bot.private_chat.id)
    assert (stored.confirm_mode, stored.confirm_above) == ("above", 0.5)
    assert "filled" in reply_text(await bot.say("/buy EURUSD 0.5"))
    assert (await bot.say("/buy EURUSD 0.6"))[0].buttons
    await bot.say("/settings confirm never")
    assert "filled" in reply_text(await bot.say("/buy EURUSD 3"))


async def test_settings_bad_input_changes_nothing(bot: BotHarness) -> None:
    await bot.say("/settings confirm above 2")
    await bot.say("/settings timezone Europe/Paris")
    for text, message in [
        ("/settings confirm sometimes", "unknown confirm mode 'sometimes'"),
        ("/settings confirm above", "'above' needs one volume"),
        ("/settings confirm above -1", "above 0"),
        ("/settings confirm above lots", "'lots' is not a volume"),
        ("/settings confirm never 2", "'never' takes nothing after it"),
        ("/settings confirm", "say when orders need confirmation"),
        ("/settings timezone Mars/Olympus", "unknown timezone 'Mars/Olympus'"),
        ("/settings timezone", "give one IANA time zone name"),
        ("/settings timezone Europe/Paris extra", "give one IANA time zone name"),
        ("/settings colour blue", "what 'colour' must be one of: confirm, timezone"),
    ]:
        replies = await bot.say(text)
        assert replies[0].kind is ReplyKind.ERROR and message in reply_text(replies), (text, reply_text(replies))
    stored = await bot.storage.settings.get(bot.private_chat.id)
    assert (stored.confirm_mode, stored.confirm_above, stored.timezone) == ("above", 2.0, "Europe/Paris")


async def test_in_a_group_only_admins_change_settings(bot: BotHarness) -> None:
    trader = bot.user("tina")
    group = await bot.group_chat("s", members={trader: Role.TRADER})
    assert "confirm every order (default for group chats)" in reply_text(await bot.say("/settings", user=trader,
                                                                                     chat=group))
    refused = await bot.say("/settings confirm never", user=trader, chat=group)
    assert refused[0].kind is ReplyKind.ERROR and "needs a chat admin" in reply_text(refused)
    assert (await bot.storage.settings.get(group.id)).confirm_mode is None
    assert (await bot.say("/settings timezone Asia/Tokyo", chat=group))[0].kind is ReplyKind.OK
    assert (await bot.storage.settings.get(group.id)).timezone == "Asia/Tokyo"


async def assemble(sim: RunningSimulator, path: Path, env: dict[str, str], clock: FakeClock) -> BotHarness:
    """The same assembly as the `bot` fixture, over an existing database file."""
    return await assemble_bot(sim, await Storage.open(path, env), clock)


async def test_bindings_roles_and_settings_survive_a_restart(sim_paused: RunningSimulator, tmp_path: Path,
                                                            master_env: dict[str, str]) -> None:
    clock = FakeClock()
    path = tmp_path / "fxbot.db"
    first = await assemble(sim_paused, path, master_env, clock)
    owner, tom = first.user("owner", platform_admin=True), first.user("tom")
    dm = first.private_chat_of(owner)
    group = ChatRef("console:group-team", ChatKind.GROUP, "console")
    try:
        assert (await first.say(f"/link {sim_paused.keys['trade']} desk", user=owner, chat=dm))[0].kind \
            is ReplyKind.OK
        assert (await first.say("/use 2", user=owner, chat=dm))[0].kind is ReplyKind.OK
        assert (await first.say("/bind desk", user=owner, chat=group))[0].kind is ReplyKind.OK
        await first.say("/members", user=tom, chat=group)
        assert (await first.say("/role @tom trader", user=owner, chat=group))[0].kind is ReplyKind.OK
        assert (await first.say("/settings confirm never", user=owner, chat=group))[0].kind is ReplyKind.OK
        assert (await first.say("/settings timezone Asia/Tokyo", user=owner, chat=group))[0].kind is ReplyKind.OK
    finally:
        await close_bot(first)

    second = await assemble(sim_paused, path, master_env, clock)
    try:
        dm_binding = await second.storage.bindings.get(dm.id)
        assert dm_binding is not None and dm_binding.account_id == "acc_4pQr7"
        assert "Currency: EUR" in reply_text(await second.say("/account", user=owner, chat=dm))
        settings = reply_text(await second.say("/settings", user=tom, chat=group))
        assert "send orders at once" in settings and "time zone: Asia/Tokyo" in settings and "key: desk" in settings
        members = (await second.say("/members", user=tom, chat=group))[0]
        assert members.table is not None
        assert [(row[0], row[1]) for row in members.table.rows] == [("owner", "admin"), ("tom", "trader")]
        assert "filled" in reply_text(await second.say("/buy EURUSD 0.1", user=tom, chat=group))
        audit = (await second.say("/audit", user=owner, chat=group))[0]
        assert audit.table is not None and "/role @tom trader" in [row[2] for row in audit.table.rows]
    finally:
        await close_bot(second)
