"""e2e: market orders from chat — immediate fills, the pre-trade card and its Confirm/Cancel buttons."""

from __future__ import annotations

import asyncio

import pytest

from fxbot.domain.access import Role
from tests.e2e.conftest import KEY_KINDS, BotHarness, reply_text


async def test_small_buy_in_a_private_chat_fills_at_once_at_the_ask(bot: BotHarness) -> None:
    await bot.set_quote("EURUSD", 1.10000, 1.10002)
    replies = await bot.say("/buy eurusd 0.1")
    text = reply_text(replies)
    assert "BUY 0.10 lot EURUSD filled" in text, text
    assert "filled at 1.10002" in text
    assert not replies[0].buttons
    positions = await bot.sim_positions()
    assert len(positions) == 1
    assert positions[0]["symbol"] == "EURUSD" and positions[0]["type"] == "BUY"
    assert positions[0]["volume"] == pytest.approx(0.1)
    assert positions[0]["open_price"] == pytest.approx(1.10002)
    assert positions[0]["id"] in text and positions[0]["order_id"] in text


@pytest.mark.parametrize("bot", KEY_KINDS, indirect=True)
async def test_large_buy_shows_the_card_and_confirm_places_one_order(bot: BotHarness) -> None:
    await bot.set_quote("EURUSD", 1.10000, 1.10002)
    replies = await bot.say("/buy EURUSD 2 sl=20p tp=1.1050")
    card = replies[0]
    text = reply_text(card)
    assert [b.label for b in card.buttons] == ["Confirm BUY", "Cancel"]
    assert "price: 1.10002 (current ask" in text
    assert "stop loss: 1.09802 (20.0 pips)" in text
    assert "take profit: 1.10500 (49.8 pips)" in text
    # 2 lots * 100000 * 1.10002 / 100 = 2200.04 USD; margin level 10000 / 2200.04 = 454.5 %
    if bot.kind == "sdk":  # the SDK protocol asks the broker (OrderCalcMargin; the simulator prices it at the mid)
        assert "required margin: 2,200.02 USD (the broker's figure, leverage 1:100)" in text
    else:
        assert "required margin: 2,200.04 USD (leverage 1:100)" in text
    assert "margin level after: 454.5%" in text
    assert await bot.sim_positions() == []

    result = await bot.press(card, "Confirm")
    assert result.remove_buttons
    assert "filled at 1.10002" in reply_text(result.reply)
    again = await bot.press(card, "Confirm")
    assert "already" in (again.toast or "")
    positions = await bot.sim_positions()
    assert len(positions) == 1
    assert positions[0]["sl"] == pytest.approx(1.09802) and positions[0]["tp"] == pytest.approx(1.105)


async def test_concurrent_double_press_sends_one_order(bot: BotHarness) -> None:
    card = (await bot.say("/sell EURUSD 1.5"))[0]
    first, second = await asyncio.gather(bot.press(card, "Confirm"), bot.press(card, "Confirm"))
    assert sum(1 for r in (first, second) if r.reply is not None) == 1
    assert len(await bot.sim_positions()) == 1


async def test_cancel_sends_nothing(bot: BotHarness) -> None:
    card = (await bot.say("/buy EURUSD 3"))[0]
    result = await bot.press(card, "Cancel")
    assert "not sent" in reply_text(result.reply)
    assert (await bot.press(card, "Confirm")).reply is None
    assert await bot.sim_positions() == []


async def test_an_expired_card_sends_nothing(bot: BotHarness) -> None:
    card = (await bot.say("/buy EURUSD 3"))[0]
    bot.clock.advance(61)
    result = await bot.press(card, "Confirm")
    assert "expired" in (result.toast or "")
    assert await bot.sim_positions() == []


async def test_group_chat_confirms_every_order_and_refuses_another_presser(bot: BotHarness) -> None:
    alice, bob = bot.user("alice"), bot.user("bob")
    group = await bot.group_chat(members={alice: Role.TRADER, bob: Role.TRADER})
    card = (await bot.say("/buy EURUSD 0.01", user=alice, chat=group))[0]
    assert card.buttons, reply_text(card)
    refused = await bot.press(card, "Confirm", user=bob, chat=group)
    assert refused.alert and "only alice" in (refused.toast or "")
    assert await bot.sim_positions() == []
    done = await bot.press(card, "Confirm", user=alice, chat=group)
    assert "filled" in reply_text(done.reply)
    assert len(await bot.sim_positions()) == 1
    audit = await bot.storage.audit.recent(group.id, 5)
    confirmed = [e for e in audit if e.command.endswith("[confirmed]")]
    assert confirmed and confirmed[0].ok and confirmed[0].user_id == alice.id


async def test_the_audit_log_names_the_order_ref(bot: BotHarness) -> None:
    await bot.say("/buy EURUSD 0.1")
    order_id = (await bot.sim_positions())[0]["order_id"]
    entry = await bot.storage.audit.by_order_ref(order_id)
    assert entry is not None and entry.user_id == bot.owner.id and entry.ok
    assert entry.command.startswith("/buy EURUSD 0.1") and entry.latency_ms >= 0


async def test_sell_with_stops_in_pips_and_prices(bot: BotHarness) -> None:
    await bot.set_quote("EURUSD", 1.10000, 1.10002)
    text = reply_text(await bot.say("/sell EURUSD 0.5 sl=30p tp=1.0950"))
    assert "filled at 1.10000" in text, text
    position = (await bot.sim_positions())[0]
    assert position["type"] == "SELL"
    assert position["sl"] == pytest.approx(1.10300) and position["tp"] == pytest.approx(1.0950)


@pytest.mark.parametrize(
    ("command", "fragment"),
    [
        ("/buy EURUSD 0.1 sl=1.1010", "stop loss 1.10100 must be below the current bid 1.10000"),
        ("/buy EURUSD 0.1 tp=1.0990", "take profit 1.09900 must be above the current ask 1.10002"),
        ("/sell EURUSD 0.1 sl=1.0990", "stop loss 1.09900 must be above the current ask 1.10002"),
        ("/sell EURUSD 0.1 tp=1.1010", "take profit 1.10100 must be below the current bid 1.10000"),
        ("/buylimit EURUSD 0.1 1.1050", "BUY LIMIT price must be below the current ask 1.10002"),
        ("/sellstop EURUSD 0.1 1.1050", "SELL STOP price must be below the current bid 1.10000"),
        ("/buylimit EURUSD 0.1 1.0950 sl=1.0960", "stop loss 1.09600 must be below the order price 1.09500"),
    ],
)
async def test_wrong_side_prices_are_refused_before_sending(bot: BotHarness, command: str,
                                                          fragment: str) -> None:
    await bot.set_quote("EURUSD", 1.10000, 1.10002)
    replies = await bot.say(command)
    text = reply_text(replies)
    assert fragment in text, text
    assert "usage:" in text
    assert await bot.sim_positions() == [] and await bot.sim_orders() == []


async def test_malformed_arguments_get_usage_and_send_nothing(bot: BotHarness) -> None:
    text = reply_text(await bot.say("/buy EURUSDD 0.1"))
    assert "did you mean EURUSD" in text and "usage: /buy SYMBOL VOLUME" in text
    text = reply_text(await bot.say("/buy EURUSD 0.105"))
    assert "multiple of 0.01" in text and "example: /buy EURUSD 0.10" in text
    text = reply_text(await bot.say("/buy EURUSD 0.1 sl=abc"))
    assert "neither a price" in text
    assert await bot.sim_positions() == []


async def test_eur_account_card_converts_the_margin_and_a_refusal_is_explained(bot: BotHarness) -> None:
    accounts = [await bot.sim_account(a) for a in await bot.account_ids()]
    eur_account = next(a["id"] for a in accounts if a["currency"] == "EUR")
    await bot.storage.bindings.set_account(bot.private_chat.id, eur_account)
    await bot.set_quote("EURUSD", 1.10000, 1.10002)
    card = (await bot.say("/buy EURUSD 1.2"))[0]
    text = reply_text(card)
    # 1.2 * 100000 * 1.10002 / 30 USD at the EURUSD mid 1.10001 -> 4,000.04 EUR; 5000 / 4000.04 = 125.0 %
    assert "required margin: 4,000.04 EUR (leverage 1:30)" in text, text
    assert "margin level after: 125.0%" in text
    assert f"account: {eur_account}" in text
    assert [b.label for b in card.buttons] == ["Confirm BUY", "Cancel"]
    refused = (await bot.say("/buy EURUSD 2"))[0]
    text = reply_text(refused)
    # 2 lots -> 6,666.73 EUR of margin against 5,000.00 free: refused before anything is sent, no Confirm
    assert not refused.buttons
    assert "it needs 6,666.73 EUR of margin and the free margin is 5,000.00 EUR (short by 1,666.73 EUR)" in text
    assert "margin level after: 75.0%" in text
    assert await bot.sim_positions(eur_account) == []
    assert "filled" in reply_text(await bot.say("/buy EURUSD 0.5"))
    assert len(await bot.sim_positions(eur_account)) == 1
    assert await bot.sim_positions() == []  # the USD account is untouched
