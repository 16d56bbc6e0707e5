"""A level crossed and left while the stream is down is found on the M1 candles: notified once, marked as such."""

from __future__ import annotations

from tests.e2e.console_app_driver import ConsoleApp

GAP_WORDS = "while the price stream was disconnected"


def _book_price(console: ConsoleApp) -> float | None:
    """The last EURUSD bid the alert engine judged (any account)."""
    assert console.app is not None
    engine = console.app.services.alerts.engine
    prices = [engine.last_price(account, "EURUSD") for account in engine.watched_symbols()]
    return next((p for p in prices if p is not None), None)


async def _outage(console: ConsoleApp) -> None:
    console.gate.close()  # reconnections wait until the gate opens again
    await console.control("faults", {"drop_streams": True})
    await console.until(lambda: not console.stream_connected(), "the stream to drop")


async def _judged(console: ConsoleApp, bid: float) -> None:
    """Move the price and wait until the engine judged it (so every event before it was handled too)."""
    await console.move("EURUSD", bid)
    await console.until(lambda: _book_price(console) == bid, f"the engine to judge {bid:.5f}")


async def test_a_round_trip_through_the_level_during_an_outage_is_notified_once(console: ConsoleApp) -> None:
    bid = float((await console.quote("EURUSD"))["bid"])
    level = round(bid + 0.0010, 5)
    await console.say(f"/alert EURUSD cross up {level:.5f} every")  # every: a second replay could fire it again
    await console.until(lambda: console.subscribed("EURUSD"), "the EURUSD quote subscription")
    await _judged(console, bid)  # the last price the stream delivered before the outage
    await _outage(console)
    await console.move("EURUSD", round(level + 0.0005, 5))  # up through the level while nobody listens...
    await console.move("EURUSD", bid)  # ...and back: the current price alone shows nothing
    console.gate.open()
    out = await console.wait_for(f"EURUSD crossed up through {level:.5f}")
    await console.until(console.stream_connected, "the stream to reconnect")
    notice = out[out.index(f"EURUSD crossed up through {level:.5f}"):]
    assert GAP_WORDS in notice and "one-minute candle" in notice and f"Bid {level + 0.0005:.5f}" in notice

    await _judged(console, round(bid + 0.0001, 5))
    await _outage(console)  # a second reconnect replays the same minutes: nothing twice
    console.gate.open()
    await console.until(console.stream_connected, "the stream to reconnect again")
    await _judged(console, bid)
    await console.settle()
    assert console.output.count("crossed up through") == 1

    await console.move("EURUSD", round(level + 0.0002, 5))  # re-armed after the round trip: a live crossing fires
    out = await console.wait_for("crossed up through", count=2)
    assert out.count(GAP_WORDS) == 1
