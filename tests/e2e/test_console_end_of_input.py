"""The console from a pipe: fills still in flight at end of input are shown before it exits, without a false
"missed" note; an order placed before the stream connects is not reported as missed either."""

from __future__ import annotations

import io
from pathlib import Path

from fxbot.app import build
from fxbot.config import DatabaseSettings, FxSocketSettings, Settings
from fxbot.simulator.runner import RunningSimulator
from fxbot.stream.fills import GAP_FILL_LINE
from tests.e2e.console_app_driver import ConnectGate, ConsoleApp


async def test_every_fill_of_piped_orders_is_printed_before_the_console_exits(
    sim_paused: RunningSimulator, tmp_path: Path
) -> None:
    stdin = io.StringIO("/buy EURUSD 0.1\n/buy EURUSD 0.1\n/buy GBPUSD 0.1\n")
    stdout = io.StringIO()
    settings = Settings(
        fxsocket=FxSocketSettings(base_url=sim_paused.base_url, stream_url=sim_paused.stream_url),
        database=DatabaseSettings(path=tmp_path / "bot.db"),
        adapters={"console": {"api_key": sim_paused.keys["trade"], "images_dir": str(tmp_path / "img")}},
    )
    app = await build(settings, env={}, stdin=stdin, stdout=stdout)
    await app.run(install_signal_handlers=False)  # returns at end of input, after the pending fills
    out = stdout.getvalue()
    assert out.count("filled at") == 3
    assert out.count("Position opened: EURUSD BUY") == 2 and out.count("Position opened: GBPUSD BUY") == 1
    assert GAP_FILL_LINE not in out


async def test_an_order_placed_while_the_stream_is_still_connecting_is_not_reported_as_missed(
    sim_paused: RunningSimulator, tmp_path: Path, master_env: dict[str, str]
) -> None:
    gate = ConnectGate()
    gate.close()  # the bot is up, its stream not connected yet
    bot = ConsoleApp(sim_paused, tmp_path / "bot.db", master_env, gate=gate)
    await bot.start(wait_connected=False)
    try:
        assert "filled" in await bot.say("/buy EURUSD 0.1")
        gate.open()
        await bot.until(bot.stream_connected, "the stream to connect")
        out = await bot.wait_for("Position opened: EURUSD BUY")  # found by the reconciliation at connect
        assert GAP_FILL_LINE not in out
    finally:
        await bot.kill()
