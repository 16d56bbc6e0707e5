"""The assembled app (build(settings)) with the console adapter against the simulator, driven by piped text."""

from __future__ import annotations

import io
from pathlib import Path

import httpx

from fxbot.app import build
from fxbot.config import DatabaseSettings, FxSocketSettings, Settings
from fxbot.simulator.runner import RunningSimulator


def _settings(sim: RunningSimulator, db: Path, scope: str = "trade") -> Settings:
    return Settings(
        fxsocket=FxSocketSettings(base_url=sim.base_url, stream_url=sim.stream_url),
        database=DatabaseSettings(path=db),
        adapters={"console": {"api_key": sim.keys[scope], "scope": scope, "images_dir": str(db.parent / "img")}},
    )


async def _session(sim: RunningSimulator, db: Path, lines: list[str], scope: str = "trade") -> str:
    stdin = io.StringIO("".join(line + "\n" for line in lines))
    stdout = io.StringIO()
    app = await build(_settings(sim, db, scope), env={}, stdin=stdin, stdout=stdout)
    await app.run(install_signal_handlers=False)  # returns at end of input
    return stdout.getvalue()


async def test_buy_fills_and_end_of_input_exits_cleanly(sim_paused: RunningSimulator, tmp_path: Path) -> None:
    out = await _session(sim_paused, tmp_path / "bot.db", ["/buy EURUSD 0.1", "/positions"])
    assert "BUY 0.10 lot EURUSD filled" in out
    assert "pos_" in out and "1 open position" in out
    async with httpx.AsyncClient() as http:
        positions = (await http.get(f"{sim_paused.base_url}/v1/positions",
                                    headers={"Authorization": f"Bearer {sim_paused.keys['trade']}"})).json()
    assert [p["symbol"] for p in positions] == ["EURUSD"]


async def test_buttons_are_answered_by_number_or_label(sim_paused: RunningSimulator, tmp_path: Path) -> None:
    out = await _session(
        sim_paused, tmp_path / "bot.db", ["/buy EURUSD 2", "2", "/sell GBPUSD 1.5", "confirm", "1"]
    )
    assert "[1] Confirm BUY  [2] Cancel" in out
    assert "the BUY EURUSD order was not sent" in out
    assert "SELL 1.50 lots GBPUSD filled" in out
    # "1" after the decision is no button any more: it is treated as chat text and gets a hint
    assert "» 1\nCommands start with / — /help lists them." in out
    # the fill of the confirmed order still in flight at end of input is printed before the console exits
    assert "Position opened: GBPUSD SELL 1.50 lots" in out
    async with httpx.AsyncClient() as http:
        positions = (await http.get(f"{sim_paused.base_url}/v1/positions",
                                    headers={"Authorization": f"Bearer {sim_paused.keys['trade']}"})).json()
    assert [(p["symbol"], p["volume"]) for p in positions] == [("GBPUSD", 1.5)]


async def test_read_only_console_is_refused_trading(sim_paused: RunningSimulator, tmp_path: Path) -> None:
    out = await _session(sim_paused, tmp_path / "bot.db", ["/buy EURUSD 0.1", "/quote eurusd"], scope="read-only")
    assert "read-only" in out
    assert "EURUSD" in out and "bid" in out
    assert "filled" not in out


async def test_settings_and_key_survive_a_restart(sim_paused: RunningSimulator, tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    first = await _session(sim_paused, db, ["/settings confirm never", "/settings timezone Europe/Berlin"])
    assert "never" in first
    second = await _session(sim_paused, db, ["/settings", "/keys", "/buy EURUSD 1.2"])
    assert "never" in second and "Europe/Berlin" in second
    assert second.count("console") >= 1  # the console key is linked once, not duplicated
    assert "[1] Confirm" not in second  # policy `never`: the 1.2-lot order went straight through
    assert "BUY 1.20 lots EURUSD filled" in second
    assert sim_paused.keys["trade"] not in first + second  # the key is never echoed


async def test_bad_input_gets_usage_and_sends_nothing(sim_paused: RunningSimulator, tmp_path: Path) -> None:
    out = await _session(sim_paused, tmp_path / "bot.db", ["/buy EURUSDD 0.1", "/buy EURUSD -1", "/byu EURUSD 1"])
    assert "did you mean EURUSD" in out
    assert "/buy SYMBOL VOLUME" in out
    assert "did you mean /buy" in out
    assert "filled" not in out
