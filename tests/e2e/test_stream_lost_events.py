"""The stream session under faults: unreadable frames, an overflowing order queue, a failing engine, a crash.

Frames from the real simulator pass through a tap (the WebSocket connect of the `/v1` backend) that can rewrite
them or add frames, so each fault happens at a known point; every wait is on a condition, never a delay.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect as websockets_connect

from fxbot.alerts.account_eval import AccountState
from fxbot.alerts.engine import AlertEngine
from fxbot.alerts.firing import Firing
from fxbot.backends.v1 import V1Backend
from fxbot.commands.status import stream_line
from fxbot.domain.broker import BrokerBackends
from fxbot.notify.outbox import OutboxItem
from fxbot.services.alerts import AlertService
from fxbot.services.brokers import BrokerProvider
from fxbot.stream.config import PumpConfig
from fxbot.stream.fills import GAP_FILL_LINE, FillNotifier
from fxbot.stream.pump import StreamPump
from fxbot.stream.session import KeyStreamSession
from tests.e2e.conftest import BotHarness
from tests.waiting import HANG_S, eventually

Rewrite = Callable[[dict[str, Any]], list[dict[str, Any]]]


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class FrameTap:
    """Wraps the stream's WebSocket: `rewrite(frame)` returns the frames the client sees instead of it."""

    rewrite: Rewrite | None = None
    seen: list[str] = field(default_factory=list)

    async def connect(self, *args: Any, **kwargs: Any) -> Any:
        return _TappedConnection(await websockets_connect(*args, **kwargs), self)


class _TappedConnection:
    def __init__(self, ws: Any, tap: FrameTap) -> None:
        self._ws = ws
        self._tap = tap
        self._ready: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ws, name)

    async def recv(self) -> str:
        while not self._ready:  # frames made from one real frame come back to back, without a pause
            frame = await self._ws.recv()
            message = json.loads(frame)
            self._tap.seen.append(str(message.get("type")))
            rewrite = self._tap.rewrite
            self._ready.extend([frame] if rewrite is None else [json.dumps(m) for m in rewrite(message)])
        return self._ready.pop(0)


def once_on(kind: str, change: Rewrite) -> Rewrite:
    """A rewrite applied to the first frame of type `kind` only."""
    done = False

    def rewrite(message: dict[str, Any]) -> list[dict[str, Any]]:
        nonlocal done
        if done or message.get("type") != kind:
            return [message]
        done = True
        return change(message)

    return rewrite


def config(**changes: Any) -> PumpConfig:
    return PumpConfig(reconnect_min_s=0.05, reconnect_max_s=0.2, refresh_interval_s=0.2, expiry_interval_s=0.2,
                      restart_min_s=0.1, restart_max_s=0.3, **changes)


@dataclass
class Running:
    pump: StreamPump
    alerts: AlertService


@pytest.fixture
def tap() -> FrameTap:
    return FrameTap()


@pytest.fixture
async def start(bot: BotHarness) -> AsyncIterator[Callable[..., Any]]:
    tasks: list[asyncio.Task[None]] = []
    providers: list[BrokerProvider] = []

    async def starter(tap: FrameTap, *, engine: AlertEngine | None = None,
                      session_type: type[KeyStreamSession] = KeyStreamSession, **changes: Any) -> Running:
        alerts = bot.services.alerts
        if engine is not None:
            alerts = AlertService(storage=bot.storage, brokers=bot.services.brokers, outbox=alerts.outbox,
                                  preferences=alerts.preferences, clock=_now, engine=engine)
        fills = FillNotifier(storage=bot.storage, outbox=alerts.outbox, preferences=alerts.preferences, clock=_now)
        tapped = V1Backend(http=httpx.AsyncClient(timeout=10.0), base_url=bot.sim.base_url,
                           stream_url=bot.sim.stream_url, connect=tap.connect)
        brokers = BrokerProvider(bot.storage, BrokerBackends([tapped]))
        providers.append(brokers)
        pump = StreamPump(storage=bot.storage, brokers=brokers, alerts=alerts, fills=fills, clock=_now,
                          config=config(**changes), session_type=session_type)
        alerts.add_change_listener(pump.rules_changed)
        tasks.append(asyncio.create_task(pump.run()))
        await eventually(lambda: bool(pump.statuses()) and pump.statuses()[0].connected
                    and pump.statuses()[0].subscriptions >= 2, "the stream with orders and account subscribed")
        return Running(pump, alerts)

    try:
        yield starter
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for provider in providers:
            await provider.aclose()


async def fills_of(bot: BotHarness, title: str) -> list[OutboxItem]:
    """The pending notifications whose title contains `title`, once there is one."""
    found: list[OutboxItem] = []

    async def some() -> bool:
        found[:] = [i for i in await bot.services.alerts.outbox.pending() if title in i.notification.title]
        return bool(found)

    await eventually(some, f"a notification {title!r}")
    return found


async def buy(bot: BotHarness, volume: float) -> dict[str, Any]:
    answer = await bot.control.post(f"{bot.sim.base_url}/v1/orders",
                                    headers={"Authorization": f"Bearer {bot.sim.keys['trade']}"},
                                    json={"symbol": "EURUSD", "type": "BUY", "volume": volume})
    answer.raise_for_status()
    result: dict[str, Any] = answer.json()
    return result


async def test_an_unreadable_order_frame_is_logged_counted_and_its_fill_reconciled(
    bot: BotHarness, tap: FrameTap, start: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    def unknown_type(message: dict[str, Any]) -> list[dict[str, Any]]:
        return [{**message, "data": {**message["data"], "type": "BUY_STOP_LIMIT_NEW"}}]  # an order type we do not know

    tap.rewrite = once_on("order_opened", unknown_type)
    running: Running = await start(tap)
    with caplog.at_level(logging.WARNING):
        order = await buy(bot, 0.1)
        opened = await fills_of(bot, "Position opened")  # found again over REST, not lost until a reconnect
    assert [i.chat_id for i in opened] == [bot.private_chat.id]
    assert f"Order {order['id']}" in "\n".join(opened[0].notification.lines)
    assert GAP_FILL_LINE not in opened[0].notification.lines  # the bot was connected all along
    assert any(r.levelno == logging.WARNING and "malformed 'order_opened'" in r.getMessage() for r in caplog.records)
    status = running.pump.statuses()[0]
    assert status.malformed_frames == 1 and status.connected
    health = running.pump.stream_health()
    assert health.malformed_frames == 1
    assert "1 unreadable order/account messages (reconciled over REST)" in stream_line(health, "UTC")


async def test_order_events_past_the_queue_bound_are_dropped_counted_and_reconciled(
    bot: BotHarness, tap: FrameTap, start: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    def flood_first(message: dict[str, Any]) -> list[dict[str, Any]]:
        junk = {"type": "order_modified", "data": {"id": "ord_elsewhere", "account_id": "acc_elsewhere", "sl": 1.0}}
        return [junk, junk, message]  # the first fills the queue of one; the next and the real one overflow

    tap.rewrite = once_on("order_opened", flood_first)
    running: Running = await start(tap, order_queue_max=1)
    with caplog.at_level(logging.WARNING):
        await buy(bot, 0.1)
        opened = await fills_of(bot, "Position opened")
    assert [i.chat_id for i in opened] == [bot.private_chat.id]
    status = running.pump.statuses()[0]
    assert status.dropped_order_events == 2
    warnings = [r for r in caplog.records if "dropping" in r.getMessage() and r.levelno == logging.WARNING]
    assert len(warnings) == 1  # once per overflow, not once per event
    assert "2 order events dropped under load" in stream_line(running.pump.stream_health(), "UTC")


class FlakyEngine(AlertEngine):
    """The real engine, except that the next `on_account` call fails once when `fail_next` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.fail_next = False
        self.failed = asyncio.Event()

    def on_account(self, account_id: str, account: AccountState, at: datetime) -> list[Firing]:
        if self.fail_next:
            self.fail_next = False
            self.failed.set()
            raise ArithmeticError("an account update the engine could not judge")
        return super().on_account(account_id, account, at)


async def test_account_alerts_go_on_after_an_update_the_engine_could_not_judge(
    bot: BotHarness, tap: FrameTap, start: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    engine = FlakyEngine()
    running: Running = await start(tap, engine=engine)
    await buy(bot, 5)
    level_now = float((await bot.sim_account())["margin_level"])
    threshold = round(level_now - 15)
    created = await running.alerts.create(bot.private_chat.id, bot.owner.id, ["margin", "<", f"{threshold}%"])
    await running.pump.rules_changed()
    engine.fail_next = True
    bid = float((await bot.sim_quote("EURUSD"))["bid"])
    with caplog.at_level(logging.ERROR):
        await bot.set_quote("EURUSD", round(bid - 0.0050, 5))  # 50 pips against 5 lots: below the threshold
        async with asyncio.timeout(HANG_S):
            await engine.failed.wait()
        await bot.set_quote("EURUSD", round(bid - 0.0052, 5))  # the next update is judged as usual
        fired = await fills_of(bot, f"(below {threshold}%)")
    assert [i.chat_id for i in fired] == [bot.private_chat.id] and created.rule.id > 0
    assert any("could not judge or deliver the account alerts" in r.getMessage() for r in caplog.records)
    assert running.pump.statuses()[0].connected


class CrashingSession(KeyStreamSession):
    """A session whose order loop has a bug: it crashes on the first order event (first session only)."""

    crashed = 0

    async def _order_loop(self) -> None:
        if CrashingSession.crashed:
            await super()._order_loop()
            return
        await self._orders.get()
        CrashingSession.crashed += 1
        raise RuntimeError("a bug in the order loop")


async def test_a_crashed_helper_is_logged_restarts_the_session_and_shows_in_status(
    bot: BotHarness, tap: FrameTap, start: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    CrashingSession.crashed = 0
    running: Running = await start(tap, session_type=CrashingSession)
    first = running.pump.statuses()[0]
    with caplog.at_level(logging.ERROR):
        await buy(bot, 0.1)
        await eventually(lambda: first.failures == 1, "the crash to end the session")
        assert not first.connected and first.detail == "the stream failed (RuntimeError); restarting"
        assert "restarted once after a failure" in stream_line(running.pump.stream_health(), "UTC")
        await eventually(lambda: running.pump.statuses()[0] is not first and running.pump.statuses()[0].connected,
                    "a new session")
    crash = [r for r in caplog.records if "failed; restarting" in r.getMessage()]
    assert len(crash) == 1 and crash[0].exc_info is not None
    assert isinstance(crash[0].exc_info[1], RuntimeError)  # the helper's own error, not a group around it
    assert running.pump.statuses()[0].failures == 1  # the count survives the restart
    await buy(bot, 0.2)
    assert await fills_of(bot, "Position opened: EURUSD BUY 0.20")  # and the new session handles fills
