"""Fill notifications and account alerts end to end: SL hits, /notify settings, a margin alert."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import KEY_KINDS
from tests.e2e.console_app_driver import ConsoleApp
from tests.waiting import eventually


async def _buy_with_sl(bot: ConsoleApp, volume: str, sl_pips: int) -> float:
    bid = float((await bot.quote("EURUSD"))["bid"])
    sl = round(bid - sl_pips * 0.0001, 5)
    reply = await bot.say(f"/buy EURUSD {volume} sl={sl:.5f}")
    assert "filled" in reply, reply
    return sl


@pytest.mark.parametrize("console", KEY_KINDS, indirect=True)
async def test_stop_loss_hit_is_notified_with_reason_and_net_pnl(console: ConsoleApp) -> None:
    sl = await _buy_with_sl(console, "0.1", 20)
    await console.wait_for("Position opened: EURUSD BUY")
    await console.move("EURUSD", sl - 0.0002)
    out = await console.wait_for("closed by stop loss")
    message = out[out.index("closed by stop loss") - 40:]
    assert "EURUSD BUY" in message
    assert "Net P&L -" in message  # a loss, commission and swap included
    assert "pips" in message and "→" in message
    await console.settle()
    assert console.output.count("closed by stop loss") == 1
    assert not await console.rest("GET", "/v1/positions")


async def test_notify_off_silences_that_fill_type(console: ConsoleApp) -> None:
    assert "sl_hit: off" in await console.say("/notify sl_hit off")
    shown = await console.say("/notify")
    assert "sl_hit: off" in shown and "tp_hit: on" in shown
    sl = await _buy_with_sl(console, "0.1", 20)
    await console.wait_for("Position opened: EURUSD BUY")
    await console.move("EURUSD", sl - 0.0002)
    async def closed() -> bool:
        return not await console.rest("GET", "/v1/positions")

    await eventually(closed, "the stop loss to close the position")  # the close happened on the simulator…
    await console.settle()
    closes = [line for line in console.output.splitlines() if "EURUSD BUY" in line and "closed by" in line]
    assert closes == []  # …but this chat switched sl_hit off
    assert "every fill notification: off" in await console.say("/notify fills off")
    assert "'bogus' is not a notification type" in await console.say("/notify bogus on")
    assert "usage: /notify" in await console.say("/notify sl_hit loud")


async def test_margin_alert_fires_when_a_price_move_drops_the_margin_level(console: ConsoleApp) -> None:
    await console.say("/settings confirm never")
    reply = await console.say("/buy EURUSD 5")
    assert "filled" in reply, reply
    account = await console.rest("GET", "/v1/account")
    level_now = float(account["margin_level"])
    threshold = round(level_now - 15)
    created = await console.say(f"/alert margin < {threshold}%")
    assert "Alert #1 set" in created and f"margin level < {threshold}%" in created
    await console.settle(0.3)
    assert "Margin level" not in console.output
    bid = float((await console.quote("EURUSD"))["bid"])
    await console.move("EURUSD", round(bid - 0.0050, 5))  # 50 pips against 5 lots
    out = await console.wait_for(f"(below {threshold}%)")
    assert "Margin level" in out
    await console.settle()
    assert console.output.count(f"(below {threshold}%)") == 1
