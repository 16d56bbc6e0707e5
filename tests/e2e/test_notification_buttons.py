"""e2e: buttons on fill and alert notifications run their command for the presser (the console answers by number)."""

from __future__ import annotations

from pathlib import Path

from fxbot.simulator.runner import RunningSimulator
from tests.e2e.console_app_driver import ConsoleApp
from tests.waiting import eventually

BUTTONS_OPENED = "[1] Close  [2] Close half  [3] Breakeven"
BUTTONS_ALERT = "[1] Snooze 1h  [2] Delete  [3] Buy  [4] Sell"


async def _opened(console: ConsoleApp) -> None:
    await console.say("/settings confirm never")
    assert "filled" in await console.say("/buy EURUSD 0.1")
    await console.wait_for(BUTTONS_OPENED)


async def test_close_button_on_a_fill_closes_the_position_and_a_second_press_does_nothing(
        console: ConsoleApp) -> None:
    await _opened(console)
    closed = await console.say("1")
    assert "closed at" in closed, closed
    assert not await console.rest("GET", "/v1/positions")
    assert "already done" in await console.say("1")
    await console.recorded()
    assert console.app is not None
    rows = await console.app.storage.db.fetch_all("SELECT command FROM audit_log ORDER BY id")
    assert [str(r["command"]) for r in rows if "notification button" in str(r["command"])] == [
        next(str(r["command"]) for r in rows if str(r["command"]).startswith("/close "))]


async def test_close_half_and_breakeven_buttons_act_on_the_position(console: ConsoleApp) -> None:
    await _opened(console)
    half = await console.say("Close half")
    assert "0.05" in half, half
    positions = await console.rest("GET", "/v1/positions")
    assert len(positions) == 1 and float(positions[0]["volume"]) == 0.05


async def test_a_button_pressed_after_its_lifetime_has_expired_and_changes_nothing(console: ConsoleApp) -> None:
    await _opened(console)
    console.clock.advance(24 * 3600 + 1)
    assert "this button has expired" in await console.say("1")
    assert len(await console.rest("GET", "/v1/positions")) == 1


async def test_close_button_on_a_position_closed_meanwhile_says_so(console: ConsoleApp) -> None:
    await _opened(console)
    position = (await console.rest("GET", "/v1/positions"))[0]
    assert "closed at" in await console.say(f"/close {position['id']}")
    answer = await console.say("1")
    assert "no open position" in answer.lower() or "not found" in answer.lower(), answer


async def test_alert_buttons_snooze_pauses_until_the_time_then_resumes_and_delete_deletes(
        console: ConsoleApp) -> None:
    bid = float((await console.quote("EURUSD"))["bid"])
    level = round(bid + 0.0010, 5)
    assert "Alert #1 set" in await console.say(f"/alert EURUSD cross {level:.5f} every")
    await console.until(lambda: console.subscribed("EURUSD"), "the EURUSD quote subscription")
    await console.move("EURUSD", level + 0.0003)
    await console.wait_for(BUTTONS_ALERT)
    snoozed = await console.say("Snooze 1h")
    assert "alert #1 snoozed until" in snoozed, snoozed
    again = await console.say("1")  # idempotent: only the end moves
    assert "alert #1 snoozed until" in again, again
    assert "paused" in await console.say("/alerts")
    assert console.app is not None and console.app.services.snoozes is not None
    assert await console.app.services.snoozes.resume_due() == 0  # not yet
    console.clock.advance(3601)
    assert await console.app.services.snoozes.resume_due() == 1
    assert "paused" not in await console.say("/alerts")
    deleted = await console.say("2")
    assert "deleted alert #1" in deleted, deleted
    assert "already done" in await console.say("2")


async def test_buy_button_on_an_alert_opens_the_usual_order_card(console: ConsoleApp) -> None:
    await console.say("/settings confirm always")
    bid = float((await console.quote("EURUSD"))["bid"])
    level = round(bid + 0.0010, 5)
    await console.say(f"/alert EURUSD above {level:.5f} every")
    await console.until(lambda: console.subscribed("EURUSD"), "the EURUSD quote subscription")
    await console.move("EURUSD", level + 0.0003)
    await console.wait_for(BUTTONS_ALERT)
    card = await console.say("Buy")
    assert "Confirm" in card and "0.01" in card, card
    assert not await console.rest("GET", "/v1/positions")  # the card waits for its Confirm
    await console.say("Confirm")
    positions = await console.rest("GET", "/v1/positions")
    assert len(positions) == 1 and float(positions[0]["volume"]) == 0.01


async def test_a_snooze_outlives_a_restart_and_ends_when_its_time_has_come(
        sim_paused: RunningSimulator, tmp_path: Path, master_env: dict[str, str]) -> None:
    db = tmp_path / "bot.db"
    first = ConsoleApp(sim_paused, db, master_env)
    await first.start()
    try:
        bid = float((await first.quote("EURUSD"))["bid"])
        level = round(bid + 0.0010, 5)
        await first.say(f"/alert EURUSD cross {level:.5f} every")
        await first.until(lambda: first.subscribed("EURUSD"), "the EURUSD quote subscription")
        await first.move("EURUSD", level + 0.0003)
        await first.wait_for(BUTTONS_ALERT)
        assert "alert #1 snoozed until" in await first.say("Snooze 1h")
    finally:
        await first.kill()

    second = ConsoleApp(sim_paused, db, master_env)
    await second.start()
    try:
        assert "paused" in await second.say("/alerts")  # still snoozed after the restart
    finally:
        await second.kill()

    third = ConsoleApp(sim_paused, db, master_env)
    third.clock.advance(3601)  # started after the snooze ended: resumed at start-up
    await third.start()
    try:
        async def resumed() -> bool:
            return "paused" not in await third.say("/alerts")

        await eventually(resumed, "the snoozed alert resumed")
    finally:
        await third.kill()
