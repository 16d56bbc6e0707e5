"""The stream pump with the e2e harness: one stream per bound key, a refused key isolated, fills per chat."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pytest

from fxbot.domain.access import Role
from fxbot.notify.outbox import OutboxItem
from fxbot.stream.config import PumpConfig
from fxbot.stream.fills import FillNotifier
from fxbot.stream.pump import StreamPump
from tests.e2e.conftest import BotHarness, reply_text


def _now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
async def pump(bot: BotHarness) -> AsyncIterator[StreamPump]:
    alerts = bot.services.alerts
    fills = FillNotifier(storage=bot.storage, outbox=alerts.outbox, preferences=alerts.preferences, clock=_now)
    running = StreamPump(storage=bot.storage, brokers=bot.services.brokers, alerts=alerts, fills=fills, clock=_now,
                         config=PumpConfig(reconnect_min_s=0.05, reconnect_max_s=0.2, refresh_interval_s=0.2,
                                           expiry_interval_s=0.2, restart_min_s=0.1, restart_max_s=0.3))
    alerts.add_change_listener(running.rules_changed)
    task = asyncio.create_task(running.run())
    try:
        yield running
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _until(check: Callable[[], bool], what: str, within_s: float = 30.0) -> None:
    deadline = time.monotonic() + within_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def _pending(bot: BotHarness, until: Callable[[list[OutboxItem]], bool], what: str) -> list[OutboxItem]:
    deadline = time.monotonic() + 30.0  # only a hang reaches it
    while True:
        items = await bot.services.alerts.outbox.pending()
        if until(items):
            return items
        assert time.monotonic() < deadline, f"timed out waiting for {what}: {[i.notification.title for i in items]}"
        await asyncio.sleep(0.05)


async def test_a_refused_key_never_takes_the_other_streams_down(bot: BotHarness, pump: StreamPump) -> None:
    group = await bot.group_chat("ro-desk", scope="read-only")
    secret = bot.sim.keys["read-only"]
    await bot.revoke(secret)
    pump.request_refresh()
    await _until(lambda: len(pump.statuses()) == 2, "two streams")
    await _until(lambda: any(s.refused for s in pump.statuses()), "the revoked key to be refused")
    trade = next(s for s in pump.statuses() if s.key_name == "sim-trade")
    await _until(lambda: trade.connected, "the trade key's stream")
    health = pump.stream_health()
    assert not health.connected and health.detail is not None
    assert "refused" in health.detail and "key 'sim-trade': connected" in health.detail
    assert secret not in health.detail
    bid = float((await bot.sim_quote("EURUSD"))["bid"])
    level = round(bid + 0.0010, 5)
    assert "Alert #1 set" in reply_text(await bot.say(f"/alert EURUSD above {level:.5f}"))
    await _until(lambda: "EURUSD" in pump.quote_subscriptions().get(trade.key_id, set()), "the subscription")
    await bot.set_quote("EURUSD", level + 0.0002)
    items = await _pending(bot, lambda xs: any("is above" in i.notification.title for i in xs), "the alert")
    assert [i.chat_id for i in items if "is above" in i.notification.title] == [bot.private_chat.id]
    assert group.id not in {i.chat_id for i in items}
    await bot.storage.bindings.unbind(group.id)  # no chat uses the revoked key any more: its stream stops
    pump.request_refresh()
    await _until(lambda: [s.key_name for s in pump.statuses()] == ["sim-trade"], "the refused stream to stop")
    assert pump.stream_health().connected


async def test_fills_reach_every_chat_of_the_account_and_name_who_placed_them_in_shared_chats(
    bot: BotHarness, pump: StreamPump
) -> None:
    alice = bot.user("alice")
    group = await bot.group_chat("desk", members={alice: Role.TRADER}, scope="trade")
    pump.request_refresh()
    await _until(lambda: bool(pump.statuses()) and pump.statuses()[0].connected, "the stream")
    await _until(lambda: len(pump.statuses()[0].key_name) > 0 and pump.statuses()[0].subscriptions >= 2,
                 "orders and account subscriptions")
    hub = bot.sim.state.hub  # the fill is published to the streams subscribed at that moment: wait for the server
    await _until(lambda: any(c.order_accounts for c in hub.connections), "the simulator to have the subscription")
    card = await bot.say("/buy EURUSD 0.1", user=alice, chat=group)  # group chats confirm every order
    result = await bot.press(card[0], "Confirm", user=alice, chat=group)
    assert result.reply is not None and "filled" in reply_text(result.reply)
    items = await _pending(bot, lambda xs: len([i for i in xs if i.notification.kind == "fill"]) >= 2, "fills")
    fills = {i.chat_id: i.notification for i in items if i.notification.kind == "fill"}
    assert set(fills) == {bot.private_chat.id, group.id}
    assert "Placed by alice" in fills[group.id].lines
    assert not any(line.startswith("Placed by") for line in fills[bot.private_chat.id].lines)
    assert fills[group.id].dedupe_key != fills[bot.private_chat.id].dedupe_key
