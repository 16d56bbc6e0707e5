"""e2e: /trail and /be against the simulator driven by /_sim/quotes: the stop follows, never backwards, in
steps; a kill and restart mid-trail resumes; a move while the bot is disconnected is applied once."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Any

from fxbot.simulator.runner import RunningSimulator
from tests.e2e.console_app_driver import ConsoleApp


async def _position(bot: ConsoleApp) -> dict[str, Any]:
    positions: list[dict[str, Any]] = await bot.rest("GET", "/v1/positions")
    assert len(positions) == 1, positions
    return positions[0]


async def _sl(bot: ConsoleApp) -> float | None:
    sl = (await _position(bot)).get("sl")
    return None if sl is None else float(sl)


async def _until_sl(bot: ConsoleApp, wanted: float) -> None:
    """Wait until the simulator's position has this stop (polling REST; bounded, returns as soon as it holds)."""
    deadline = time.monotonic() + 30
    while (await _sl(bot)) != wanted:
        if time.monotonic() > deadline:
            raise AssertionError(f"the stop never became {wanted}: {await _sl(bot)}; output:\n{bot.output}")
        await asyncio.sleep(0.05)


async def _open(bot: ConsoleApp) -> tuple[str, float]:
    bid = float((await bot.quote("EURUSD"))["bid"])
    await bot.move("EURUSD", bid, bid + 0.00002)
    assert "filled" in await bot.say(f"/buy EURUSD 0.3 sl={bid - 0.0050:.5f}")
    position = await _position(bot)
    await bot.until(lambda: bot.subscribed("EURUSD"), "the position's quote subscription")
    return str(position["id"]), float(position["open_price"])


async def test_trailing_stop_follows_forward_only_in_steps(
    sim_paused: RunningSimulator, tmp_path: Path, master_env: dict[str, str]
) -> None:
    bot = ConsoleApp(sim_paused, tmp_path / "bot.db", master_env)
    await bot.start()
    try:
        pid, entry = await _open(bot)
        reply = await bot.say(f"/trail {pid} 20p step=5p start=10p")
        assert "Trailing stop set" in reply and "no move due yet" in reply
        first_sl = await _sl(bot)
        await bot.move("EURUSD", entry + 0.0015, entry + 0.00152)  # 15 pips: started, stop 20 pips behind
        await _until_sl(bot, round(entry - 0.0005, 5))
        await bot.wait_for("stop → ")
        await bot.move("EURUSD", entry + 0.0018, entry + 0.00182)  # +3 pips: under the 5-pip step
        await bot.move("EURUSD", entry + 0.0010, entry + 0.00102)  # back down: never backwards
        await bot.move("EURUSD", entry + 0.0030, entry + 0.00302)  # +15 pips beyond the best: moves
        await _until_sl(bot, round(entry + 0.0010, 5))
        out = await bot.wait_for("(+10 pips locked)")
        assert out.count("stop → ") == 2 and first_sl is not None
        listing = await bot.say("/trail")
        assert f"{pid} EURUSD BUY 0.30: trail 20p step 5p start +10p" in listing
        assert "/trail " + pid + " off" in await bot.say(f"/trail {pid} 20p step=5p start=10p")
        assert "switched off" in await bot.say(f"/trail {pid} off")
        await bot.move("EURUSD", entry + 0.0060, entry + 0.00602)
        await bot.settle()
        assert await _sl(bot) == round(entry + 0.0010, 5)
    finally:
        await bot.stop()


async def test_kill_and_restart_mid_trail_resumes_and_a_gap_is_applied_once(
    sim_paused: RunningSimulator, tmp_path: Path, master_env: dict[str, str]
) -> None:
    db = tmp_path / "bot.db"
    first = ConsoleApp(sim_paused, db, master_env)
    await first.start()
    try:
        pid, entry = await _open(first)
        await first.say(f"/trail {pid} 20p step=5p")
        await first.move("EURUSD", entry + 0.0025, entry + 0.00252)
        await _until_sl(first, round(entry + 0.0005, 5))
        await first.recorded()
    finally:
        await first.kill()

    second = ConsoleApp(sim_paused, db, master_env)
    await second.move("EURUSD", entry + 0.0045, entry + 0.00452)  # while the bot is down
    await second.start()
    try:
        await _until_sl(second, round(entry + 0.0025, 5))  # applied from the REST price at reconnect
        await second.wait_for("(+25 pips locked)")
        await second.move("EURUSD", entry + 0.0035, entry + 0.00352)  # lower: the stop stays
        await second.move("EURUSD", entry + 0.0055, entry + 0.00552)
        await _until_sl(second, round(entry + 0.0035, 5))
        await second.settle()
        assert second.output.count("(+25 pips locked)") == 1
        assert "(+5 pips locked)" not in second.output  # notified by the first run only
    finally:
        await second.stop()


async def test_breakeven_armed_then_done_and_the_rule_ends_with_the_position(
    sim_paused: RunningSimulator, tmp_path: Path, master_env: dict[str, str]
) -> None:
    bot = ConsoleApp(sim_paused, tmp_path / "bot.db", master_env)
    await bot.start()
    try:
        pid, entry = await _open(bot)
        refused = await bot.say(f"/be {pid} offset=1p")
        assert "not far enough in profit" in refused and "at=15p" in refused
        armed = await bot.say(f"/be {pid} at=15p offset=1p")
        assert "Breakeven armed" in armed
        await bot.move("EURUSD", entry + 0.0016, entry + 0.00162)
        await _until_sl(bot, round(entry + 0.0001, 5))
        await bot.wait_for("(+1 pips locked)")
        assert "no breakeven or trailing rules" in await bot.say("/trail")  # done: the rule went
        await bot.say(f"/trail {pid} 10p")
        assert "trail 10p" in await bot.say("/trail")
        await bot.say(f"/close {pid}")
        await bot.until(lambda: "closed" in bot.output.lower(), "the close")
        await bot.until(lambda: bot.app is not None and bot.app.services.stops is not None
                        and not bot.app.services.stops.rules_for_chat("console:local"), "the rule to go")
    finally:
        await bot.stop()


async def test_a_move_during_a_stream_outage_is_applied_once_at_reconnect(
    sim_paused: RunningSimulator, tmp_path: Path, master_env: dict[str, str]
) -> None:
    bot = ConsoleApp(sim_paused, tmp_path / "bot.db", master_env)
    await bot.start()
    try:
        pid, entry = await _open(bot)
        await bot.say(f"/trail {pid} 20p")
        bot.gate.close()  # reconnections wait until the gate opens again
        await bot.control("faults", {"drop_streams": True})
        await bot.until(lambda: not bot.stream_connected(), "the stream to drop")
        await bot.move("EURUSD", entry + 0.0040, entry + 0.00402)  # while nobody listens
        await bot.settle(0.3)
        assert "stop → " not in bot.output
        bot.gate.open()
        await _until_sl(bot, round(entry + 0.0020, 5))
        await bot.until(bot.stream_connected, "the stream to reconnect")
        await bot.move("EURUSD", entry + 0.0040, entry + 0.00402)  # the same price again: nothing more
        await bot.settle()
        assert bot.output.count("stop → ") == 1 and "(+20 pips locked)" in bot.output
    finally:
        await bot.stop()


async def test_trail_as_an_order_option_and_the_chats_defaults(
    sim_paused: RunningSimulator, tmp_path: Path, master_env: dict[str, str]
) -> None:
    bot = ConsoleApp(sim_paused, tmp_path / "bot.db", master_env)
    await bot.start()
    try:
        bad = await bot.say("/buy EURUSD 0.1 trail=far")
        assert "trail= 'far' is not a distance in pips" in bad
        assert await bot.rest("GET", "/v1/positions") == []  # bad input: nothing sent
        bid = float((await bot.quote("EURUSD"))["bid"])
        await bot.move("EURUSD", bid, bid + 0.00002)
        filled = await bot.say(f"/buy EURUSD 0.3 sl={bid - 0.0050:.5f} trail=20p")
        assert "trailing stop 20 pips behind the best price, managed by the bot" in filled
        position = await _position(bot)
        entry, pid = float(position["open_price"]), str(position["id"])
        await bot.until(lambda: bot.subscribed("EURUSD"), "the position's quote subscription")
        await bot.move("EURUSD", entry + 0.0030, entry + 0.00302)
        await _until_sl(bot, round(entry + 0.0010, 5))
        await bot.say(f"/close {pid}")
        assert "default trail: 15 pips" in await bot.say("/settings trail 15p")
        assert "default be: 10 pips" in await bot.say("/settings be 10p")
        shown = await bot.say("/settings")
        assert "default trail on orders: 15 pips" in shown and "default be on orders: 10 pips" in shown
        again = await bot.say(f"/buy EURUSD 0.3 sl={entry - 0.0050:.5f} be=off")
        assert "trailing stop 15 pips behind the best price, managed by the bot (the chat's default)" in again
        assert "breakeven" not in again
        listing = await bot.say("/trail")
        assert "trail 15p" in listing and "breakeven" not in listing
        assert "default trail: off" in await bot.say("/settings trail off")
    finally:
        await bot.stop()


async def test_trailing_through_a_terminal_api_key_by_ticket(
    sim_paused: RunningSimulator, tmp_path: Path, master_env: dict[str, str]
) -> None:
    bot = ConsoleApp(sim_paused, tmp_path / "bot.db", master_env, api_key=sim_paused.sdk_keys["full"])
    await bot.start()
    try:
        bid = float((await bot.quote("EURUSD"))["bid"])
        await bot.move("EURUSD", bid, bid + 0.00002)
        filled = await bot.say(f"/buy EURUSD 0.3 sl={bid - 0.0050:.5f}")
        ticket = re.search(r"#(\d+)", filled)
        assert ticket is not None, filled
        entry = float((await _position(bot))["open_price"])
        await bot.until(lambda: bot.subscribed("EURUSD"), "the position's quote subscription")
        assert "Trailing stop set" in await bot.say(f"/trail #{ticket.group(1)} 20p")
        await bot.move("EURUSD", entry + 0.0030, entry + 0.00302)
        await _until_sl(bot, round(entry + 0.0010, 5))
        await bot.wait_for("(+10 pips locked)")
        assert f"#{ticket.group(1)} EURUSD BUY 0.30: trail 20p" in await bot.say("/trail")
    finally:
        await bot.stop()


async def test_a_stop_tightened_with_modify_is_not_moved_back_by_the_trail(
    sim_paused: RunningSimulator, tmp_path: Path, master_env: dict[str, str]
) -> None:
    bot = ConsoleApp(sim_paused, tmp_path / "bot.db", master_env)
    await bot.start()
    try:
        pid, entry = await _open(bot)
        await bot.say(f"/trail {pid} 20p")
        await bot.move("EURUSD", entry + 0.0015, entry + 0.00152)
        await _until_sl(bot, round(entry - 0.0005, 5))
        assert "modified" in (await bot.say(f"/modify {pid} sl={entry + 0.0005:.5f}")).lower()
        tightened = round(entry + 0.0005, 5) * 100_000

        def seen() -> bool:  # the stream's order_modified event reached the rule
            stops = bot.app.services.stops if bot.app is not None else None
            rules = stops.rules_for_chat("console:local") if stops is not None else []
            return bool(rules) and rules[0].stop_points == round(tightened)

        await bot.until(seen, "the rule to see the tightened stop")
        await bot.move("EURUSD", entry + 0.0020, entry + 0.00202)  # the trail would want entry: behind the stop
        await bot.settle()
        assert await _sl(bot) == round(entry + 0.0005, 5)
        await bot.move("EURUSD", entry + 0.0030, entry + 0.00302)
        await _until_sl(bot, round(entry + 0.0010, 5))
    finally:
        await bot.stop()
