"""e2e over the whole app: the simulator drops the stream and the bot cannot reconnect — the watchdog tells the
chat once past the threshold and once when the stream is back, with how long it lasted."""

from __future__ import annotations

from pathlib import Path

from fxbot.config import Settings, WatchdogSettings
from fxbot.simulator.runner import RunningSimulator
from tests.e2e.console_app_driver import ConsoleApp


class WatchedConsoleApp(ConsoleApp):
    """The console app with the watchdog checking every 0.2 s."""

    def settings(self) -> Settings:
        return super().settings().model_copy(update={"watchdog": WatchdogSettings(check_interval_s=0.2)})


async def test_stream_down_is_told_once_and_its_recovery_once(
    sim_paused: RunningSimulator, tmp_path: Path, master_env: dict[str, str]
) -> None:
    app = WatchedConsoleApp(sim_paused, tmp_path / "bot.db", master_env)
    await app.start()
    try:
        assert "nothing is wrong now" in await app.say("/watchdog")
        app.gate.close()  # reconnecting waits: an outage
        await app.control("faults", {"drop_streams": True})
        await app.until(lambda: not app.stream_connected(), "the stream to drop")
        await app.settle(0.5)
        assert "Watchdog:" not in app.output  # not yet past 60 s
        app.clock.advance(61)
        await app.wait_for("Watchdog: the FxSocket stream of key")
        assert "is down" in await app.say("/watchdog")
        app.gate.open()
        out = await app.wait_for("Watchdog: recovered")
        assert "it lasted" in out
        await app.settle(0.6)
        assert app.output.count("Watchdog: the FxSocket stream of key") == 1
        assert app.output.count("Watchdog: recovered") == 1
    finally:
        await app.stop()
