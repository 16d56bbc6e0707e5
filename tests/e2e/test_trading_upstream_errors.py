"""e2e: FxSocket failures become clear replies: unknown outcome, 429, revoked key, disconnection, scope."""

from __future__ import annotations

from tests.e2e.conftest import BotHarness, reply_text


async def test_unknown_outcome_is_reported_and_never_resent(bot: BotHarness) -> None:
    card = (await bot.say("/buy EURUSD 2"))[0]
    await bot.fault(fail_after_next=1)
    result = await bot.press(card, "Confirm")
    text = reply_text(result.reply)
    assert "may have been placed — check /positions" in text, text
    assert "NOT resent" in text
    assert len(await bot.sim_positions()) == 1


async def test_rate_limit_is_retried_silently(bot: BotHarness) -> None:
    await bot.fault(rate_limit_for_s=1)
    text = reply_text(await bot.say("/buy EURUSD 0.1"))
    assert "filled" in text, text
    assert len(await bot.sim_positions()) == 1


async def test_revoked_key_gets_a_clear_reply(bot: BotHarness) -> None:
    await bot.revoke(bot.sim.keys["trade"])
    text = reply_text(await bot.say("/buy EURUSD 0.1"))
    assert "the FxSocket key 'sim-trade' was refused (revoked?) — /link a new one" in text, text


async def test_disconnected_account_gets_a_clear_reply(bot: BotHarness) -> None:
    await bot.set_account_status("disconnected")
    text = reply_text(await bot.say("/buy EURUSD 0.1"))
    assert "disconnected" in text and "nothing was sent" in text, text
    await bot.set_account_status("connected")
    assert await bot.sim_positions() == []


async def test_disconnect_between_card_and_confirm_is_explained(bot: BotHarness) -> None:
    card = (await bot.say("/buy EURUSD 2"))[0]
    await bot.set_account_status("disconnected")
    text = reply_text((await bot.press(card, "Confirm")).reply)
    assert "disconnected" in text, text
    await bot.set_account_status("connected")
    assert await bot.sim_positions() == []


async def test_read_only_key_is_refused_for_buy_with_the_reason(bot: BotHarness) -> None:
    chat = bot.private_chat_of(bot.user("reader"))
    await bot.link_key(bot.user("reader"), "read-only", bind_to=chat)
    reader = bot.user("reader")
    text = reply_text(await bot.say("/buy EURUSD 0.1", user=reader, chat=chat))
    assert "read-only" in text, text
    assert "No open positions" in reply_text(await bot.say("/positions", user=reader, chat=chat))
    assert await bot.sim_positions() == []


async def test_a_403_lowers_the_stored_scope(bot: BotHarness) -> None:
    # the key is stored as trade but FxSocket only grants read-only: the 403 lowers it
    reader = bot.user("liar")
    chat = bot.private_chat_of(reader)
    key = await bot.link_key(reader, "trade", bind_to=chat, secret=bot.sim.keys["read-only"], name="ro")
    text = reply_text(await bot.say("/buy EURUSD 0.1", user=reader, chat=chat))
    assert "now treats the key 'ro' as read-only" in text, text
    stored = await bot.storage.keys.get(key.id)
    assert stored is not None and stored.scope.value == "read-only"
