"""e2e over the whole app: the bot stops in the middle of the guard's close-all; the next run resumes it on the
stream's reconcile (only what is still open is closed, nothing twice), keeps the block, and the watchdog says
the bot restarted, for how long and that it reconciled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fxbot.config import Settings, WatchdogSettings
from fxbot.guard.state import GuardState, Phase, day_of
from fxbot.guard.store import GuardStore
from fxbot.simulator.runner import RunningSimulator
from fxbot.storage import Storage
from tests.e2e.console_app_driver import ConsoleApp


class WatchedConsoleApp(ConsoleApp):
    """The console app with the watchdog checking every 0.2 s."""

    def settings(self) -> Settings:
        return super().settings().model_copy(update={"watchdog": WatchdogSettings(check_interval_s=0.2)})


async def test_a_restart_in_the_middle_of_acting_closes_nothing_twice_and_keeps_the_block(
    sim_paused: RunningSimulator, tmp_path: Path, master_env: dict[str, str]
) -> None:
    db = tmp_path / "bot.db"
    first = WatchedConsoleApp(sim_paused, db, master_env)
    await first.start()
    try:
        await first.move("EURUSD", 1.10000, 1.10002)
        assert "filled" in await first.say("/buy EURUSD 0.2")
        assert "filled" in await first.say("/buy EURUSD 0.2")
        assert "daily loss: 100.00" in await first.say("/guard daily-loss 100")
        positions: list[dict[str, Any]] = await first.rest("GET", "/v1/positions")
        account_id = (await first.rest("GET", "/v1/accounts"))[0]["id"]
        now = first.clock.now()
    finally:
        await first.kill()

    # The first run had claimed the close-all and closed one position when it stopped.
    storage = await Storage.open(db, master_env)
    try:
        assert await GuardStore(storage.db).claim_acting(GuardState(
            account_id=account_id, day_id=day_of(now), phase=Phase.ACTING, changed_at=now, day_start_equity=10_000.0,
            trigger="daily loss 120.00 USD reached the limit 100.00 USD"))
    finally:
        await storage.close()
    second = WatchedConsoleApp(sim_paused, db, master_env)
    await second.rest("DELETE", f"/v1/orders/{positions[0]['id']}")
    await second.start()
    try:
        out = await second.wait_for("Guard acted on account")
        await second.wait_for("Watchdog: the bot restarted")
        assert await second.rest("GET", "/v1/positions") == []
        assert "Closed 1 position(s)" in out and "resumed" in out, out
        assert "reconnected and reconciled" in second.output
        assert "blocked by the daily loss guard until" in await second.say("/buy EURUSD 0.1")
        assert await second.rest("GET", "/v1/positions") == []
        await second.settle()
        assert second.output.count("Guard acted on account") == 1
    finally:
        await second.stop()
