"""e2e: an order that cannot fill for margin is refused before sending — no Confirm, the figures shown."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import BotHarness, reply_text


async def _fill_nine_lots(bot: BotHarness) -> None:
    await bot.set_quote("EURUSD", 1.10000, 1.10002)
    card = (await bot.say("/buy EURUSD 9"))[0]
    text = reply_text(card)
    # 9 * 100,000 * 1.10002 / 100 = 9,900.18 USD; 10,000 / 9,900.18 = 101.0 % (above 2 x 50 %: no warning)
    assert "required margin: 9,900.18 USD (leverage 1:100)" in text, text
    assert "margin level after: 101.0%" in text and "warning" not in text
    assert [b.label for b in card.buttons] == ["Confirm BUY", "Cancel"]
    assert "filled" in reply_text((await bot.press(card, "Confirm")).reply)


async def test_a_second_nine_lot_buy_is_refused_with_the_figures_and_no_confirm(bot: BotHarness) -> None:
    await _fill_nine_lots(bot)
    account = await bot.sim_account()
    # equity 10,000 - spread 9 * 100,000 * 0.00002 (18.00) - commission 9 * 3.50 (31.50) = 9,950.50;
    # the simulator's margin 9 * 100,000 EUR / 100 at the mid 1.10001 = 9,900.09; free 9,950.50 - 9,900.09
    assert account["equity"] == pytest.approx(9950.50)
    assert account["free_margin"] == pytest.approx(50.41)
    replies = await bot.say("/buy EURUSD 9")
    text = reply_text(replies)
    assert not replies[0].buttons, text
    assert "BUY 9.00 lots EURUSD not sent — not enough free margin" in text
    # short by 9,900.18 - 50.41 = 9,849.77; 50.41 / (9,900.18 / 9) = 0.0458 -> 0.04 lot fits
    assert ("FxSocket will refuse this order for margin: it needs 9,900.18 USD of margin and the free margin "
            "is 50.41 USD (short by 9,849.77 USD)") in text
    assert "at most about 0.04 lot fits" in text
    # 9,950.50 / (9,900.09 + 9,900.18) = 50.3 %
    assert "margin level after: 50.3%" in text and "nothing was sent" in text
    assert len(await bot.sim_positions()) == 1
    entry = (await bot.storage.audit.recent(bot.private_chat.id, 1))[0]
    assert not entry.ok and "not enough free margin" in entry.result


async def test_without_a_card_the_order_is_refused_before_sending_with_the_same_reason(bot: BotHarness) -> None:
    await _fill_nine_lots(bot)
    assert "send orders at once" in reply_text(await bot.say("/settings confirm never"))
    replies = await bot.say("/buy EURUSD 9")
    text = reply_text(replies)
    assert not replies[0].buttons
    assert "FxSocket will refuse this order for margin: it needs 9,900.18 USD" in text, text
    assert len(await bot.sim_positions()) == 1


async def test_a_pending_order_short_of_margin_is_warned_about_but_may_be_placed(bot: BotHarness) -> None:
    await _fill_nine_lots(bot)
    card = (await bot.say("/buylimit EURUSD 9 1.09000"))[0]
    text = reply_text(card)
    # 9 * 100,000 * 1.09 / 100 = 9,810.00 USD against 50.41 free: short by 9,759.59
    assert ("warning: if this order triggered now it would be cancelled for margin: it needs 9,810.00 USD of "
            "margin and the free margin is 50.41 USD (short by 9,759.59 USD)") in text, text
    assert [b.label for b in card.buttons] == ["Confirm BUY LIMIT", "Cancel"]
