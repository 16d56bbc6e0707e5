"""e2e: a command reads its chat's binding, key and settings once (counted through the database gateway, not
timed), and the next command sees a change made meanwhile by anyone (another process, straight to storage)."""

from __future__ import annotations

from fxbot.chat.types import ReplyKind
from tests.e2e.conftest import BotHarness, reply_text
from tests.fakes.statement_counter import StatementCounter

QUOTE_STATEMENTS = 2
"""/quote: the chat's binding with its key (one statement, for the access check and the broker), its settings (one
statement over two tables), nothing more."""


def assert_chat_read_once(counter: StatementCounter) -> None:
    """The command read its chat's binding, the key and the settings once each."""
    assert counter.reads_of("chat_bindings") == 1
    assert counter.reads_of("api_keys") == 1
    assert counter.reads_of("chat_settings") == 1


async def test_quote_reads_binding_key_and_settings_once(bot: BotHarness) -> None:
    counter = StatementCounter(bot.storage.db)
    await bot.say("/quote EURUSD")
    counter.sql.clear()
    replies = await bot.say("/quote EURUSD")
    assert replies[0].title == "EURUSD"
    assert len(counter.sql) <= QUOTE_STATEMENTS, counter.sql
    assert_chat_read_once(counter)


async def test_an_order_reads_binding_key_and_settings_once(bot: BotHarness) -> None:
    await bot.say("/settings confirm never")
    await bot.say("/quote EURUSD")  # the key's client is built (its secret read) once, on first use
    counter = StatementCounter(bot.storage.db)
    replies = await bot.say("/buy EURUSD 0.01")
    assert "filled" in reply_text(replies)
    assert_chat_read_once(counter)
    assert counter.reads_of("chat_setting_values") == 1  # the trail/be defaults come from the same read


async def test_changes_made_between_commands_are_seen_by_the_next_one(bot: BotHarness) -> None:
    chat = bot.private_chat
    assert "UTC" in reply_text(await bot.say("/quote EURUSD"))
    await bot.storage.settings.set_timezone(chat.id, "Asia/Tokyo")
    assert "JST" in reply_text(await bot.say("/quote EURUSD"))
    await bot.storage.bindings.unbind(chat.id)
    unbound = await bot.say("/quote EURUSD")
    assert unbound[0].kind is ReplyKind.ERROR and "has no FxSocket key" in reply_text(unbound)


async def test_a_change_made_by_the_command_is_seen_by_the_same_command(bot: BotHarness) -> None:
    replies = await bot.say("/settings timezone Europe/Berlin")
    assert "Europe/Berlin" in reply_text(replies)
    assert "default trail on orders: off" in reply_text(await bot.say("/settings"))
    await bot.say("/settings trail 20p")
    assert "default trail on orders: 20 pips" in reply_text(await bot.say("/settings"))


async def test_setting_an_alert_reads_the_chat_once(bot: BotHarness) -> None:
    await bot.say("/quote EURUSD")  # the key's client is built (its secret read) once, on first use
    counter = StatementCounter(bot.storage.db)
    replies = await bot.say("/alert EURUSD above 1.5")
    assert "Alert #" in reply_text(replies)
    assert_chat_read_once(counter)
