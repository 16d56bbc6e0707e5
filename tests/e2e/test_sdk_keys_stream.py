"""e2e: the stream of an fxs_live_ key (the simulator's SDK face) through the real app and console: a dropped
stream and dropped frames are reconciled with each fill notified once, and a broker's suffixed symbols
(EURUSDm ticks) fire the alerts and fills of the plain symbol."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fxbot.simulator.runner import RunningSimulator, start_simulator
from tests.conftest import sim_test_config
from tests.e2e.console_app_driver import ConsoleApp

GAP_NOTE = "This happened while the bot was not connected to the stream."


@pytest.fixture
async def live(sim_paused: RunningSimulator, tmp_path: Path, master_env: dict[str, str]
               ) -> AsyncIterator[ConsoleApp]:
    """The app with the console on the simulator's fxs_live_ key (capped to trade), stream connected."""
    app = ConsoleApp(sim_paused, tmp_path / "bot.db", master_env, api_key=sim_paused.sdk_keys["full"])
    try:
        await app.start()
        yield app
    finally:
        await app.kill()


async def net_of_last_trade(app: ConsoleApp, symbol: str = "EURUSD") -> str:
    """The net P&L (profit + commission + swap) of the newest closed trade of `symbol`, as notifications show it."""
    trades = [t for t in (await app.rest("GET", "/v1/history"))["trades"] if t["symbol"] == symbol]
    newest = max(trades, key=lambda t: str(t["closed_at"]))
    return f"Net P&L {newest['profit'] + newest['commission'] + newest['swap']:+.2f} USD"


async def test_a_dropped_stream_is_reconciled_and_each_fill_is_notified_once(live: ConsoleApp) -> None:
    bid = float((await live.quote("EURUSD"))["bid"])
    stop, limit = round(bid - 0.0020, 5), round(bid - 0.0010, 5)
    assert "filled" in await live.say(f"/buy EURUSD 0.1 sl={stop:.5f}")
    assert "placed" in await live.say(f"/buylimit EURUSD 0.2 {limit:.5f}")
    await live.wait_for("Position opened: EURUSD BUY 0.10 lot")
    await live.wait_for("Pending order placed: EURUSD BUY LIMIT 0.20 lot")

    live.gate.close()  # reconnections wait until the gate opens again
    await live.control("faults", {"drop_streams": True})
    await live.until(lambda: not live.stream_connected(), "the SDK stream to drop")
    await live.move("EURUSD", round(bid - 0.0015, 5))  # the limit order fills while nobody listens…
    await live.move("EURUSD", round(stop - 0.0002, 5))  # …and the stop loss is hit
    live.gate.open()

    out = await live.wait_for("closed by stop loss")
    assert (await net_of_last_trade(live)) in out[out.index("closed by stop loss"):]
    await live.wait_for("Position opened: EURUSD BUY 0.20 lot")
    assert GAP_NOTE in live.output
    await live.until(live.stream_connected, "the SDK stream to reconnect")
    assert "closed at" in await live.say("/close EURUSD")  # the stream works again: this close is notified
    await live.wait_for("EURUSD BUY 0.20 lot closed manually")
    await live.settle()
    out = live.output
    assert out.count("closed by stop loss") == 1 and out.count("closed manually") == 1
    assert out.count("Position opened: EURUSD BUY 0.10 lot") == 1
    assert out.count("Position opened: EURUSD BUY 0.20 lot") == 1
    assert out.count("Pending order placed") == 1


async def test_dropped_frames_are_a_gap_reconciled_once_and_a_bad_frame_costs_only_itself(live: ConsoleApp) -> None:
    bid = float((await live.quote("EURUSD"))["bid"])
    target = round(bid + 0.0020, 5)
    assert "filled" in await live.say(f"/buy EURUSD 0.1 tp={target:.5f}")
    await live.wait_for("Position opened: EURUSD BUY 0.10 lot")

    await live.control("sdk/stream", {"silence_s": 60})  # the server drops every frame for now…
    await live.move("EURUSD", round(target + 0.0002, 5))  # …so this take profit is not streamed
    await live.control("sdk/stream", {"silence_s": 0})  # the next frame comes after a `warning`
    out = await live.wait_for("closed by take profit")
    assert (await net_of_last_trade(live)) in out[out.index("closed by take profit"):]

    await live.control("sdk/stream", {"malformed": True})  # a tick the SDK's parser refuses
    level = round(target - 0.0010, 5)
    assert "Alert #1 set" in await live.say(f"/alert EURUSD below {level:.5f}")
    await live.until(lambda: live.subscribed("EURUSD"), "the EURUSD quote subscription")
    await live.move("EURUSD", round(level - 0.0002, 5))
    await live.wait_for(f"EURUSD is below {level:.5f}")
    await live.settle()
    assert live.output.count("closed by take profit") == 1 and live.output.count("is below") == 1
    assert live.stream_connected()


async def test_a_close_while_the_terminal_is_down_is_notified_once_with_its_full_net(live: ConsoleApp) -> None:
    """The deal comes on the stream while the terminal's REST answers 503 (nothing to complete it from): the
    notification's net P&L still counts the commission paid at the opening, and the terminal's return (a gap,
    reconciled) does not notify it again."""
    bid = float((await live.quote("EURUSD"))["bid"])
    stop = round(bid - 0.0020, 5)
    assert "filled" in await live.say(f"/buy EURUSD 0.3 sl={stop:.5f}")
    await live.wait_for("Position opened: EURUSD BUY 0.30 lot")
    account = (await live.rest("GET", "/v1/accounts"))[0]["id"]
    await live.control("faults", {"account_status": {account: "disconnected"}})
    await live.move("EURUSD", round(stop - 0.0002, 5))
    out = await live.wait_for("closed by stop loss")
    assert (await net_of_last_trade(live)) in out[out.index("closed by stop loss"):]
    await live.control("faults", {"account_status": {account: "connected"}})
    await live.until(lambda: live.app is not None and live.app.pump is not None
                     and live.app.pump.stream_health().reconnects >= 1, "the terminal's return (a gap)")
    await live.settle()
    assert live.output.count("closed by stop loss") == 1


async def test_a_read_only_key_watches_fills_and_alerts_and_never_trades(
    sim_paused: RunningSimulator, tmp_path: Path, master_env: dict[str, str]
) -> None:
    app = ConsoleApp(sim_paused, tmp_path / "bot.db", master_env, scope="read-only",
                     api_key=sim_paused.sdk_keys["read-only"])
    try:
        await app.start()
        assert "this chat's key is read-only" in await app.say("/buy EURUSD 0.1")
        bid = float((await app.quote("EURUSD"))["bid"])
        level = round(bid + 0.0010, 5)
        assert "Alert #1 set" in await app.say(f"/alert EURUSD above {level:.5f}")
        await app.rest("POST", "/v1/orders", json={"symbol": "EURUSD", "type": "BUY", "volume": 0.2})  # the owner
        await app.wait_for("Position opened: EURUSD BUY 0.20 lot")
        await app.until(lambda: app.subscribed("EURUSD"), "the EURUSD quote subscription")
        await app.move("EURUSD", round(level + 0.0002, 5))
        await app.wait_for(f"EURUSD is above {level:.5f}")
        await app.settle()
        assert app.output.count("Position opened") == 1 and app.output.count("is above") == 1
        assert len(await app.rest("GET", "/v1/positions")) == 1
    finally:
        await app.kill()


@pytest.fixture
async def suffixed_broker() -> AsyncIterator[RunningSimulator]:
    async with await start_simulator(sim_test_config(paused=True, symbol_suffix="m")) as running:
        yield running


async def test_a_suffixed_brokers_ticks_fire_the_plain_symbols_alert_and_fills(
    suffixed_broker: RunningSimulator, tmp_path: Path, master_env: dict[str, str]
) -> None:
    app = ConsoleApp(suffixed_broker, tmp_path / "bot.db", master_env, api_key=suffixed_broker.sdk_keys["full"])
    try:
        await app.start()
        bid = float((await app.quote("EURUSD"))["bid"])
        level, target = round(bid + 0.0010, 5), round(bid + 0.0020, 5)
        assert f"EURUSD bid above {level:.5f}" in await app.say(f"/alert EURUSD above {level:.5f}")
        assert "filled" in await app.say(f"/buy EURUSD 0.1 tp={target:.5f}")
        await app.wait_for("Position opened: EURUSD BUY 0.10 lot")
        await app.until(lambda: app.subscribed("EURUSD"), "the EURUSD quote subscription (EURUSDm at the broker)")
        await app.move("EURUSD", round(level + 0.0002, 5))
        await app.wait_for(f"EURUSD is above {level:.5f}")
        await app.move("EURUSD", round(target + 0.0002, 5))
        await app.wait_for("EURUSD BUY 0.10 lot closed by take profit")
        await app.settle()
        assert app.output.count("is above") == 1 and app.output.count("closed by take profit") == 1
        assert "EURUSDm" not in app.output
    finally:
        await app.kill()
