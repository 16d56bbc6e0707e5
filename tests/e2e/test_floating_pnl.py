"""e2e: one floating P&L everywhere — /positions, /account and /pnl show the same labelled net figure."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import BotHarness, reply_text

LABEL = "floating P&L (net: profit + commission + swap)"


async def test_positions_and_account_show_the_same_net_floating_pnl(bot: BotHarness) -> None:
    await bot.set_quote("EURUSD", 1.10000, 1.10002)
    await bot.set_quote("GBPUSD", 1.26000, 1.26006)
    await bot.say("/buy EURUSD 0.5")
    await bot.say("/sell GBPUSD 0.3")
    await bot.set_quote("EURUSD", 1.09950, 1.09952)
    await bot.set_quote("GBPUSD", 1.26050, 1.26056)
    # EURUSD: 0.5 lot bought at 1.10002, bid now 1.09950: 50,000 * -0.00052 = -26.00 (-5.2 pips)
    # GBPUSD: 0.3 lot sold at 1.26000, ask now 1.26056: 30,000 * -0.00056 = -16.80 (-5.6 pips)
    # commission 3.50 per lot: -(0.5 + 0.3) * 3.50 = -2.80; net = -42.80 - 2.80 = -45.60
    positions = reply_text(await bot.say("/positions"))
    account = reply_text(await bot.say("/account"))
    parts = "-45.60 USD (profit -42.80, commission -2.80, swap 0.00)"
    assert f"2 open positions, {LABEL} {parts}" in positions, positions
    assert f"Floating P&L (net: profit + commission + swap): {parts}" in account, account
    assert "| -5.2 | -27.75 |" in positions and "| -5.6 | -17.85 |" in positions  # pips, net per position
    sim = await bot.sim_account()
    assert sim["equity"] - sim["balance"] == pytest.approx(-45.60)  # what closing everything would book
    report = reply_text(await bot.say("/pnl today"))
    assert f"2 open positions, {LABEL} -45.60 USD" in report, report
