"""e2e: the account guard — a daily loss limit that warns, closes everything, blocks orders until the rollover,
survives a restart in the middle of acting, and exposure limits that refuse orders with the reason."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import pytest

from fxbot.chat.types import Reply
from fxbot.domain.access import Role
from fxbot.guard.service import GuardService
from fxbot.guard.state import GuardState, Phase, day_of
from fxbot.stream.config import PumpConfig
from fxbot.stream.fills import FillNotifier
from fxbot.stream.pump import StreamPump
from tests.e2e.conftest import KEY_KINDS, BotHarness, reply_text


async def _order(bot: BotHarness, text: str) -> str:
    """Send an order command, confirming its card if one is shown; the reply text."""
    replies = await bot.say(text)
    if replies and replies[0].buttons:
        result = await bot.press(replies[0], "Confirm")
        return reply_text(result.reply) if result.reply is not None else (result.toast or "")
    return reply_text(replies)


async def _guard(bot: BotHarness) -> tuple[GuardService, int, str]:
    guard = bot.services.guard
    assert guard is not None and bot.trade_key is not None
    guard.settle_s = 0.0
    account_id = (await bot.account_ids())[0]
    return guard, bot.trade_key.id, account_id


async def _notices(bot: BotHarness, title: str) -> list[str]:
    items = await bot.services.alerts.outbox.pending()
    return ["\n".join((i.notification.title, *i.notification.lines)) for i in items if title in i.notification.title]


@pytest.mark.parametrize("bot", KEY_KINDS, indirect=True)
async def test_loss_limit_warns_then_closes_everything_blocks_orders_and_rearms_at_rollover(bot: BotHarness) -> None:
    guard, key_id, account_id = await _guard(bot)
    await bot.set_quote("EURUSD", 1.10000, 1.10002)
    assert "filled" in await _order(bot, "/buy EURUSD 0.5")
    assert "placed" in (await _order(bot, "/buylimit EURUSD 0.1 1.05000")).lower()
    reply = reply_text(await bot.say("/guard daily-loss 1% warn=80%"))
    assert "daily loss: 1% of the day's start equity (warning at 80%)" in reply, reply
    chats = [bot.private_chat.id]
    await guard.check_account(key_id, account_id, chats)  # the day's start equity is the first one seen
    start = (await guard.store.state(account_id))
    assert start is not None and start.phase is Phase.ARMED and start.day_start_equity is not None

    await bot.set_quote("EURUSD", 1.09830, 1.09832)  # about 86 lost of a 100 limit: the warning
    await guard.check_account(key_id, account_id, chats)
    await guard.check_account(key_id, account_id, chats)  # judged again: warned once only
    warnings = await _notices(bot, "Guard warning")
    assert len(warnings) == 1 and "of the limit 1%" in warnings[0], warnings
    assert len(await bot.sim_positions()) == 1

    await bot.set_quote("EURUSD", 1.09700, 1.09702)  # 150 lost: past the limit
    await guard.check_account(key_id, account_id, chats)
    assert await bot.sim_positions() == [] and await bot.sim_orders() == []
    acted = await _notices(bot, "Guard acted")
    assert len(acted) == 1, acted
    assert "Closed 1 position(s)" in acted[0] and "Cancelled 1 pending order(s)" in acted[0], acted[0]
    assert "reached the limit 1%" in acted[0]
    assert "blocked by the daily loss guard until 2026-04-02 21:00 UTC" in acted[0], acted[0]

    await guard.check_account(key_id, account_id, chats)  # another trigger: nothing more happens
    assert len(await _notices(bot, "Guard acted")) == 1
    refused = await _order(bot, "/buy EURUSD 0.1")
    assert "blocked by the daily loss guard until 2026-04-02 21:00 UTC" in refused, refused
    assert await bot.sim_positions() == []
    assert "BLOCKED until 2026-04-02 21:00 UTC" in reply_text(await bot.say("/guard"))

    bot.clock.advance(timedelta(hours=6, minutes=31).total_seconds())  # 21:01 UTC: 17:01 New York
    assert "filled" in await _order(bot, "/buy EURUSD 0.1")
    state = await guard.store.state(account_id)
    assert state is not None and state.phase is Phase.BLOCKED  # stored as it was; read as re-armed
    await guard.check_account(key_id, account_id, chats)
    rearmed = await guard.store.state(account_id)
    assert rearmed is not None and rearmed.phase is Phase.ARMED and rearmed.day_id == "2026-04-02"


async def test_restart_while_acting_closes_only_what_is_still_open_and_keeps_the_block(bot: BotHarness) -> None:
    guard, _, account_id = await _guard(bot)
    await bot.set_quote("EURUSD", 1.10000, 1.10002)
    for _ in range(2):
        assert "filled" in await _order(bot, "/buy EURUSD 0.2")
    await bot.say("/guard daily-loss 100")
    first, second = await bot.sim_positions()
    # The bot was closing everything when it stopped: the first position was closed, the second not yet.
    claimed = await guard.store.claim_acting(GuardState(
        account_id=account_id, day_id=day_of(bot.clock.now()), phase=Phase.ACTING, changed_at=bot.clock.now(),
        day_start_equity=10_000.0, trigger="daily loss 120.00 USD reached the limit 100.00 USD"))
    assert claimed
    assert "closed" in reply_text(await bot.say(f"/close {bot.ref(first)}")).lower()
    assert not await guard.store.claim_acting(GuardState(  # a second trigger cannot start another close-all
        account_id=account_id, day_id=day_of(bot.clock.now()), phase=Phase.ACTING, changed_at=bot.clock.now()))
    assert "blocked by the daily loss guard" in await _order(bot, "/buy EURUSD 0.1")

    restarted = GuardService(storage=bot.storage, brokers=bot.services.brokers, outbox=bot.services.alerts.outbox,
                             clock=bot.clock.now, settle_s=0.0)
    assert await restarted.resume() == 1
    assert await bot.sim_positions() == []
    acted = await _notices(bot, "Guard acted")
    assert len(acted) == 1 and "Closed 1 position(s)" in acted[0] and "resumed" in acted[0], acted
    assert bot.ref(second).lstrip("#") in acted[0]
    state = await restarted.store.state(account_id)
    assert state is not None and state.phase is Phase.BLOCKED
    assert "blocked by the daily loss guard" in await _order(bot, "/buy EURUSD 0.1")
    assert await restarted.resume() == 0  # done: nothing is closed twice


async def test_exposure_limits_refuse_orders_with_the_reason(bot: BotHarness) -> None:
    await bot.set_quote("EURUSD", 1.10000, 1.10002)
    await bot.say("/guard max-positions 1")
    assert "filled" in await _order(bot, "/buy EURUSD 0.1")
    refused = await _order(bot, "/buy EURUSD 0.1")
    assert "refused by the account guard: the guard allows at most 1 open positions" in refused, refused
    await bot.say("/guard max-positions 5")
    await bot.say("/guard max-lots 0.3")
    refused = await _order(bot, "/sell EURUSD 0.3")
    assert "at most 0.3 open lots" in refused and "would make 0.4" in refused, refused
    await bot.say("/guard max-lots 10")
    await bot.say("/guard max-risk 1%")
    assert "give the order a stop loss" in await _order(bot, "/buy EURUSD 0.5")
    refused = await _order(bot, "/buy EURUSD 1 sl=200p")
    assert "the stop risks 2,000.00 USD" in refused and "more than the guard's 1%" in refused, refused
    assert "filled" in await _order(bot, "/buy EURUSD 0.1 sl=20p")
    await bot.say("/guard max-spread 3p")
    await bot.set_quote("EURUSD", 1.10000, 1.10050)
    refused = await _order(bot, "/buy EURUSD 0.1 sl=20p")
    assert "spread is 5 pips, wider than the guard's 3" in refused, refused
    assert len(await bot.sim_positions()) == 2


async def test_changing_the_guard_needs_an_admin_and_unblock_needs_a_confirmation(bot: BotHarness) -> None:
    guard, _, account_id = await _guard(bot)
    alice = bot.user("alice")
    group = await bot.group_chat(members={alice: Role.TRADER})
    assert "Guard of account" in reply_text(await bot.say("/guard", user=alice, chat=group))
    denied = reply_text(await bot.say("/guard max-lots 2", user=alice, chat=group))
    assert "admin" in denied.lower(), denied
    assert (await guard.store.limits(account_id)) is None
    bad = reply_text(await bot.say("/guard daily-loss lots", chat=group))
    assert "not a number" in bad and "/guard" in bad, bad
    assert "max-spread is in pips" in reply_text(await bot.say("/guard max-spread 3", chat=group))
    assert (await guard.store.limits(account_id)) is None
    await guard.store.save(GuardState(account_id=account_id, day_id=day_of(bot.clock.now()), phase=Phase.BLOCKED,
                                      changed_at=bot.clock.now(), blocked_until=bot.clock.now() + timedelta(hours=1),
                                      trigger="daily loss"))
    card: Reply = (await bot.say("/guard unblock", chat=group))[0]
    assert card.buttons[0].label == "Lift the block"
    assert "blocked by the daily loss guard" in await _order(bot, "/buy EURUSD 0.1")
    result = await bot.press(card, "Lift the block", chat=group)
    assert result.reply is not None and "lifted" in reply_text(result.reply)
    assert "filled" in await _order(bot, "/buy EURUSD 0.1")
    rows = await bot.storage.db.fetch_all("SELECT command FROM audit_log WHERE command LIKE '/guard%'")
    assert any("unblock" in str(r["command"]) for r in rows)


@pytest.fixture
async def pump(bot: BotHarness) -> AsyncIterator[StreamPump]:
    alerts = bot.services.alerts
    fills = FillNotifier(storage=bot.storage, outbox=alerts.outbox, preferences=alerts.preferences, clock=bot.clock.now)
    running = StreamPump(storage=bot.storage, brokers=bot.services.brokers, alerts=alerts, fills=fills,
                         clock=bot.clock.now, config=PumpConfig(reconnect_min_s=0.05, reconnect_max_s=0.2,
                                                                refresh_interval_s=0.2, restart_min_s=0.1,
                                                                restart_max_s=0.3))
    running.guard = bot.services.guard
    task = asyncio.create_task(running.run())
    try:
        yield running
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = time.monotonic() + 30.0  # only a hang reaches it
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def test_the_stream_s_account_updates_drive_the_guard(bot: BotHarness, pump: StreamPump) -> None:
    guard, _, account_id = await _guard(bot)
    await bot.set_quote("EURUSD", 1.10000, 1.10002)
    assert "filled" in await _order(bot, "/buy EURUSD 0.5")
    await bot.say("/guard daily-loss 100")

    async def started() -> bool:
        state = await guard.store.state(account_id)
        return state is not None and state.day_start_equity is not None

    assert await started()  # set mid-day: the day counts from the equity now

    async def connected() -> bool:
        return any(s.connected for s in pump.statuses())

    pump.request_refresh()
    await _eventually(connected, "the stream")
    await bot.set_quote("EURUSD", 1.09700, 1.09702)

    async def closed() -> bool:
        return not await bot.sim_positions() and bool(await _notices(bot, "Guard acted"))

    await _eventually(closed, "the guard to close the position from the stream's account update")
    assert "blocked by the daily loss guard" in await _order(bot, "/buy EURUSD 0.1")


async def test_settings_show_the_guard(bot: BotHarness) -> None:
    assert "guard: no limit set" in reply_text(await bot.say("/settings"))
    await bot.say("/guard daily-loss 3%")
    await bot.say("/guard max-lots 2")
    shown = reply_text(await bot.say("/settings"))
    guard_line = next(line for line in shown.splitlines() if line.startswith("guard: "))
    assert "3" in guard_line and "2" in guard_line and "BLOCKED" not in guard_line, shown
