"""e2e: the BrokerProvider's per-key client cache and chat lookup, and /buy in an unbound chat."""

from __future__ import annotations

import pytest

from fxbot.domain.broker import close_broker
from fxbot.errors import UserError
from tests.e2e.conftest import BotHarness, reply_text


async def test_clients_are_cached_per_key_and_invalidated(bot: BotHarness) -> None:
    brokers = bot.services.brokers
    assert bot.trade_key is not None
    bound = await brokers.for_chat(bot.private_chat.id)
    assert bound.key_id == bot.trade_key.id and bound.key_name == "sim-trade" and bound.account_id is None
    assert await brokers.for_key(bot.trade_key.id) is bound.broker
    await brokers.invalidate(bot.trade_key.id)
    assert await brokers.for_key(bot.trade_key.id) is not bound.broker
    assert "sk_" not in repr(brokers) and "sk_" not in repr(bound.broker)


async def test_an_unbound_chat_is_told_how_to_bind(bot: BotHarness) -> None:
    stranger = bot.user("stranger")
    chat = bot.private_chat_of(stranger)
    with pytest.raises(UserError) as caught:
        await bot.services.brokers.for_chat(chat.id)
    assert caught.value.usage == "/link KEY [NAME] [SCOPE] (in a private chat with the bot), then /bind NAME here"
    text = reply_text(await bot.say("/buy EURUSD 0.1", user=stranger, chat=chat))
    assert "bound" in text or "/link" in text, text
    assert await bot.sim_positions() == []


async def test_a_client_for_an_unstored_secret_is_never_cached_and_closing_it_keeps_the_others(
        bot: BotHarness) -> None:
    brokers = bot.services.brokers
    client = brokers.client_for_secret(bot.sim.keys["read-only"])
    accounts = await client.list_accounts()
    assert [a.id for a in accounts] == await bot.account_ids()
    assert client is not brokers.client_for_secret(bot.sim.keys["read-only"])  # never cached
    assert "sk_" not in repr(client)
    await close_broker(client)  # a throw-away client: closing it leaves the shared connections open
    assert bot.trade_key is not None
    assert [a.id for a in await (await brokers.for_key(bot.trade_key.id)).list_accounts()] == await bot.account_ids()
