"""The pre-trade card on a key whose backend asks the broker for the required margin (OrderCalcMargin)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import BotHarness, reply_text

SDK = pytest.mark.parametrize("bot", ["sdk"], indirect=True)


@SDK
async def test_the_card_shows_the_brokers_own_margin(bot: BotHarness) -> None:
    await bot.say("/settings confirm always")
    replies = await bot.say("/buy EURUSD 0.1")
    text = reply_text(replies)
    assert "required margin:" in text and "the broker's figure" in text, text
    assert any(b.label.startswith("Confirm") for b in replies[0].buttons)


async def test_a_v1_card_keeps_fxbots_estimate(bot: BotHarness) -> None:
    await bot.say("/settings confirm always")
    text = reply_text(await bot.say("/buy EURUSD 0.1"))
    assert "required margin:" in text and "the broker's figure" not in text
