"""e2e: the app on an fxs_live_ key (the simulator's SDK face) killed and started again on the same database:
what was notified is not notified again, and what happened while it was down is notified once."""

from __future__ import annotations

from pathlib import Path

from fxbot.simulator.runner import RunningSimulator
from tests.e2e.console_app_driver import ConsoleApp


def _closes(output: str) -> list[str]:
    return [line for line in output.splitlines() if "EURUSD BUY" in line and "closed by" in line]


async def test_kill_and_restart_on_a_live_key_neither_repeats_nor_loses_a_notification(
    sim_paused: RunningSimulator, tmp_path: Path, master_env: dict[str, str]
) -> None:
    db, key = tmp_path / "bot.db", sim_paused.sdk_keys["full"]
    first = ConsoleApp(sim_paused, db, master_env, api_key=key)
    try:
        await first.start()
        bid = float((await first.quote("EURUSD"))["bid"])
        above, below, stop = round(bid + 0.0010, 5), round(bid - 0.0020, 5), round(bid - 0.0025, 5)
        await first.say(f"/alert EURUSD above {above:.5f}")
        await first.say(f"/alert EURUSD below {below:.5f}")
        assert "filled" in await first.say(f"/buy EURUSD 0.1 sl={stop:.5f}")
        await first.until(lambda: first.subscribed("EURUSD"), "the EURUSD quote subscription")
        await first.move("EURUSD", above + 0.0002)
        await first.wait_for(f"EURUSD is above {above:.5f}")
        await first.wait_for("Position opened: EURUSD BUY")
        await first.recorded()  # the crash comes after they were recorded as sent, not between
    finally:
        await first.kill()  # abrupt: no orderly shutdown, no drain

    second = ConsoleApp(sim_paused, db, master_env, api_key=key)
    try:
        await second.move("EURUSD", stop - 0.0003)  # while the bot is down: alert #2 and the stop loss
        await second.start()
        await second.wait_for(f"EURUSD is below {below:.5f}")
        await second.until(lambda: len(_closes(second.output)) == 1, "the stop loss hit while the bot was down")
        assert "closed by stop loss" in _closes(second.output)[0]
        assert "This happened while the bot was not connected to the stream." in second.output
        await second.settle()
        assert "is above" not in second.output  # notified by the first run: not again
        assert "Position opened" not in second.output
        assert second.output.count("is below") == 1 and len(_closes(second.output)) == 1
        await second.recorded()
    finally:
        await second.kill()

    third = ConsoleApp(sim_paused, db, master_env, api_key=key)
    try:
        await third.start()
        await third.settle(0.8)
        assert "is below" not in third.output and "is above" not in third.output and not _closes(third.output)
    finally:
        await third.stop()
