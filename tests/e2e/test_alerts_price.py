"""Price alerts end to end: the real app and console adapter against the paused simulator."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import KEY_KINDS
from tests.e2e.console_app_driver import ConsoleApp

GAP_WORDS = "while the price stream was disconnected"


async def _level_above(bot: ConsoleApp, pips: int) -> float:
    bid = float((await bot.quote("EURUSD"))["bid"])
    return round(bid + pips * 0.0001, 5)


@pytest.mark.parametrize("console", KEY_KINDS, indirect=True)
async def test_alert_fires_exactly_once_and_back_and_forth_does_not_refire(console: ConsoleApp) -> None:
    level = await _level_above(console, 10)
    reply = await console.say(f"/alert EURUSD above {level:.5f}")
    assert "Alert #1 set" in reply and f"EURUSD bid above {level:.5f}" in reply
    await console.until(lambda: console.subscribed("EURUSD"), "the EURUSD quote subscription")
    await console.settle(0.2)
    assert "is above" not in console.output  # not true yet: nothing fired
    await console.move("EURUSD", level + 0.0003)
    await console.wait_for(f"EURUSD is above {level:.5f}")
    for bid in (level - 0.0020, level + 0.0020, level - 0.0030, level + 0.0030):
        await console.move("EURUSD", bid)
    await console.settle()
    assert console.output.count(f"EURUSD is above {level:.5f}") == 1
    listing = await console.say("/alerts")
    assert "#1 EURUSD bid above" in listing and "fired 1×" in listing and "recently fired" in listing


async def test_cross_rule_remembers_the_creation_price_and_fires_on_a_later_crossing(console: ConsoleApp) -> None:
    level = await _level_above(console, -15)  # below the current price
    await console.say(f"/alert EURUSD cross {level:.5f}")
    await console.until(lambda: console.subscribed("EURUSD"), "the EURUSD quote subscription")
    await console.settle(0.2)
    assert "crossed" not in console.output  # a cross is an edge: being above the level is not a crossing
    await console.move("EURUSD", level - 0.0001)
    await console.wait_for(f"EURUSD crossed {level:.5f}")


async def test_a_crossing_during_a_stream_outage_is_notified_once_after_reconnecting(console: ConsoleApp) -> None:
    level = await _level_above(console, 10)
    await console.say(f"/alert EURUSD cross up {level:.5f}")
    await console.until(lambda: console.subscribed("EURUSD"), "the EURUSD quote subscription")
    console.gate.close()  # reconnections wait until the gate opens again
    await console.control("faults", {"drop_streams": True})
    await console.until(lambda: not console.stream_connected(), "the stream to drop")
    await console.move("EURUSD", level + 0.0005)  # crosses while nobody listens
    await console.settle(0.3)
    assert "crossed up" not in console.output
    console.gate.open()
    out = await console.wait_for(f"EURUSD crossed up through {level:.5f}")
    assert GAP_WORDS in out
    await console.until(console.stream_connected, "the stream to reconnect")
    await console.move("EURUSD", level + 0.0006)
    await console.settle()
    assert console.output.count("crossed up through") == 1
    health = console.app.pump.stream_health() if console.app and console.app.pump else None
    assert health is not None and health.connected and health.reconnects >= 1


async def test_bad_input_gets_the_specific_message_usage_and_example_and_stores_nothing(console: ConsoleApp) -> None:
    cases = {
        "/alert EURUSD sideways 1.1": "'sideways' is not a condition",
        "/alert EURUSD above abc": "'abc' is not a price level",
        "/alert EURUSD above 1.123456": "EURUSD prices have 5 decimals",
        "/alert NOPE above 1.1": "unknown symbol 'NOPE'",
        "/alert EURUSD above 1.1 repeat": "repeat needs an interval",
        "/alert EURUSD cross 1.1 repeat 5m": "a cross is a moment",
        "/alert margin > 150%": "margin level alerts watch a fall",
        "/alert drawdown 120%": "below 100%",
        "/alert EURUSD above 1.1 for 0m": "at least 1 minute",
        "/alert del x": "'x' is not an alert id",
        "/alert del 99": "no alert #99",
        "/alert pause": "say which alert to pause",
    }
    for line, message in cases.items():
        reply = await console.say(line)
        assert message in reply, (line, reply)
        if not line.startswith(("/alert del", "/alert pause")):
            assert "usage: /alert" in reply and "example: /alert" in reply, (line, reply)
    assert "no alerts in this chat" in await console.say("/alerts")


async def test_pause_resume_and_delete(console: ConsoleApp) -> None:
    level = await _level_above(console, 10)
    await console.say(f"/alert EURUSD above {level:.5f} every")
    assert "alert #1 paused" in await console.say("/alert pause 1")
    assert "already paused" in await console.say("/alert pause 1")
    await console.move("EURUSD", level + 0.0005)
    await console.settle()
    assert "is above" not in console.output
    assert "resumed" in await console.say("/alert resume 1")  # judged from the current price: above now
    await console.wait_for(f"EURUSD is above {level:.5f}")
    assert "deleted alert #1" in await console.say("/alert del 1")
    assert "deleted 0 alerts" in await console.say("/alert del all")
    assert "no alerts in this chat" in await console.say("/alerts")
    await console.until(lambda: not console.subscribed("EURUSD"), "EURUSD to be unsubscribed (no rule left)")


async def test_an_expired_alert_is_reported_once_and_stops_watching(console: ConsoleApp) -> None:
    level = await _level_above(console, 10)
    reply = await console.say(f"/alert EURUSD above {level:.5f} for 1m note \"lunch\"")
    assert "until " in reply and "note: lunch" in reply
    await console.until(lambda: console.subscribed("EURUSD"), "the EURUSD quote subscription")
    console.clock.advance(61)  # the expiry timer runs every 0.2 s in these tests
    out = await console.wait_for("Alert #1 expired")
    assert "EURUSD bid above" in out[out.index("Alert #1 expired"):] and "it never fired" in out
    await console.until(lambda: not console.subscribed("EURUSD"), "EURUSD to be unsubscribed")
    await console.move("EURUSD", level + 0.0005)
    await console.settle()
    assert "is above" not in console.output and console.output.count("Alert #1 expired") == 1
    assert "expired" in await console.say("/alerts")
