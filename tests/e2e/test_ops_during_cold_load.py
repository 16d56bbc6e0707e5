"""The ops endpoint answers while the alert rules load: the app starts it before the cold load (which yields the
event loop between its chunks), so a liveness probe never sees a silent process during a big book's load."""

from __future__ import annotations

from pathlib import Path

from fxbot.simulator.runner import RunningSimulator
from tests.e2e.ops_support import OpsConsoleApp


async def test_healthz_answers_while_the_alert_rules_load(sim_paused: RunningSimulator, tmp_path: Path,
                                                          master_env: dict[str, str]) -> None:
    bot = OpsConsoleApp(sim_paused, tmp_path / "bot.db", master_env)
    await bot.start(wait_connected=False)  # built; the run task has not started yet
    try:
        assert bot.app is not None
        alerts = bot.app.services.alerts
        load = alerts.load
        during: list[tuple[int, object]] = []

        async def probed_load() -> int:
            answer = await bot.ops_get("/healthz")  # over loopback HTTP, on the loop the load runs on
            during.append((answer.status_code, answer.json()))
            return await load()

        alerts.load = probed_load  # type: ignore[method-assign]
        await bot.until(lambda: bool(during), "the cold load to start")
        assert during == [(200, {"status": "ok"})]
        await bot.until(bot.stream_connected, "the stream pump to connect after the load")
    finally:
        await bot.kill()
