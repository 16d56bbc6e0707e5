"""e2e: a Confirm press is checked again when pressed — role, the key's scope and the platform-admin option."""

from __future__ import annotations

from fxbot.chat.confirmations import ConfirmationBook
from fxbot.chat.dispatcher import Dispatcher
from fxbot.commands.catalog import build_registry
from fxbot.domain.access import Role, Scope
from fxbot.domain.instruments import INSTRUMENTS
from fxbot.services.chat_context import StorageChatContextResolver
from fxbot.services.container import Services
from tests.e2e.conftest import BotHarness, reply_text


async def test_a_requester_demoted_while_the_card_shows_cannot_confirm_it(bot: BotHarness) -> None:
    alice = bot.user("alice")
    group = await bot.group_chat(members={alice: Role.TRADER})
    card = (await bot.say("/buy EURUSD 0.01", user=alice, chat=group))[0]
    assert "viewer" in reply_text(await bot.say("/role @alice viewer", chat=group))
    member = await bot.storage.members.get(group.id, alice.id)
    assert member is not None and member.role is Role.VIEWER
    refused = await bot.press(card, "Confirm", user=alice, chat=group)
    assert refused.alert and refused.reply is None
    assert refused.toast is not None and refused.toast.startswith("you are a viewer here — /buy needs a trader")
    assert refused.toast.endswith("nothing was sent")
    assert await bot.sim_positions() == []
    done = await bot.press(card, "Confirm", chat=group)  # the card stays live for the chat admin
    assert "filled" in reply_text(done.reply)


async def test_a_403_that_lowered_the_keys_scope_stops_a_pending_confirm(bot: BotHarness) -> None:
    alice = bot.user("alice")
    group = await bot.group_chat(members={alice: Role.TRADER}, scope=None)
    # a read-only key that its owner linked as a trade key: reads work, the first write gets a 403
    key = await bot.storage.keys.add(bot.owner.id, "mislabelled", bot.sim.keys["read-only"], Scope.TRADE)
    await bot.storage.bindings.bind(group.id, key.id, bot.owner.id)
    card = (await bot.say("/buy EURUSD 0.01", user=alice, chat=group))[0]
    assert card.buttons, reply_text(card)
    other = (await bot.say("/sell EURUSD 0.01", user=alice, chat=group))[0]
    forbidden = await bot.press(other, "Confirm", user=alice, chat=group)
    assert "now treats the key 'mislabelled' as read-only" in reply_text(forbidden.reply)
    stored = await bot.storage.keys.get(key.id)
    assert stored is not None and stored.scope is Scope.READ_ONLY
    refused = await bot.press(card, "Confirm", user=alice, chat=group)
    assert refused.alert and refused.reply is None
    assert refused.toast == "this chat's key is read-only — /buy needs a trade key — nothing was sent"


async def test_a_platform_admin_confirms_anothers_card_only_when_platform_admins_are_admins(
        bot: BotHarness) -> None:
    alice, carol = bot.user("alice"), bot.user("carol", platform_admin=True)
    group = await bot.group_chat(members={alice: Role.TRADER, carol: Role.VIEWER})
    strict: Dispatcher[Services] = Dispatcher(
        build_registry(), StorageChatContextResolver(storage=bot.storage, platform_admins_are_admins=False),
        bot.services, known_symbols=sorted(INSTRUMENTS), confirmations=ConfirmationBook(clock=bot.clock.monotonic),
        clock=bot.clock.now)
    bot.dispatcher = strict
    card = (await bot.say("/buy EURUSD 0.01", user=alice, chat=group))[0]
    refused = await bot.press(card, "Confirm", user=carol, chat=group)
    assert refused.alert and refused.toast == "only alice or a chat admin can confirm this"
    assert await bot.sim_positions() == []
    assert "filled" in reply_text((await bot.press(card, "Confirm", user=alice, chat=group)).reply)
