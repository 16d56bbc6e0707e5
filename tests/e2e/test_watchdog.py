"""e2e: the watchdog against the simulator's faults — each incident notified once and its recovery once, with
its duration; no "silent" alarm over the weekend; the restart notice; the Friday reminder; the dead-man ping
(a loopback server); /watchdog and /notify watchdog off."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from fxbot.config import WatchdogSettings
from fxbot.domain.access import Role
from fxbot.notify.notification import Notification
from fxbot.stream.status import SessionStatus
from fxbot.watchdog.service import WatchdogService
from tests.e2e.conftest import BotHarness, reply_text


class Statuses:
    """The stream pump as the watchdog reads it: the real per-key status objects, set by the test."""

    def __init__(self) -> None:
        self.items: list[SessionStatus] = []

    def statuses(self) -> list[SessionStatus]:
        return list(self.items)


def _watchdog(bot: BotHarness, **settings: float) -> WatchdogService:
    alerts = bot.services.alerts
    return WatchdogService(storage=bot.storage, brokers=bot.services.brokers, outbox=alerts.outbox,
                           preferences=alerts.preferences, clock=bot.clock.now,
                           settings=WatchdogSettings.model_validate(settings))


def _titles(sent: list[Notification]) -> list[str]:
    return [n.title for n in sent]


async def test_rest_failing_is_told_once_after_the_threshold_and_its_recovery_once(bot: BotHarness) -> None:
    watchdog = _watchdog(bot, rest_failing_after_s=60)
    assert await watchdog.check_once() == []
    await bot.fault(fail_next=100_000)
    assert await watchdog.check_once() == []  # failing, but not for 60 s yet
    bot.clock.advance(61)
    sent = await watchdog.check_once()
    assert _titles(sent) == ["Watchdog: FxSocket REST is failing for key 'sim-trade'"], _titles(sent)
    assert sent[0].chat_id == bot.private_chat.id
    bot.clock.advance(30)
    assert await watchdog.check_once() == []
    await bot.fault()  # an empty body clears the faults
    recovered = await watchdog.check_once()
    assert _titles(recovered) == ["Watchdog: recovered — FxSocket REST is failing for key 'sim-trade'"]
    assert "it lasted 91 s" in recovered[0].lines[0], recovered[0].lines
    assert await watchdog.check_once() == []


async def test_terminal_disconnected_and_reconnected(bot: BotHarness) -> None:
    watchdog = _watchdog(bot)
    await bot.set_account_status("disconnected")
    sent = await watchdog.check_once()
    assert len(sent) == 1 and "is disconnected from its broker" in sent[0].title, _titles(sent)
    assert await watchdog.check_once() == []
    bot.clock.advance(300)
    await bot.set_account_status("connected")
    recovered = await watchdog.check_once()
    assert len(recovered) == 1 and recovered[0].title.startswith("Watchdog: recovered")
    assert "it lasted 5 min" in recovered[0].lines[0]


async def test_a_revoked_key_is_told_once(bot: BotHarness) -> None:
    watchdog = _watchdog(bot)
    secret = bot.sim.keys["trade"]
    await bot.revoke(secret)
    sent = await watchdog.check_once()
    assert _titles(sent) == ["Watchdog: FxSocket refuses the key 'sim-trade'"]
    assert "revoked" in " ".join(sent[0].lines) and secret not in " ".join(sent[0].lines)
    assert await watchdog.check_once() == []


async def test_stream_down_and_silent_only_while_the_market_is_open(bot: BotHarness) -> None:
    assert bot.trade_key is not None
    watchdog = _watchdog(bot, stream_down_after_s=60, stream_silent_after_s=300)
    pump = Statuses()
    watchdog.pump = pump
    status = SessionStatus(key_id=bot.trade_key.id, key_name="sim-trade", connected=False,
                           since=bot.clock.now(), detail="disconnected (closed); reconnecting")
    pump.items = [status]
    assert await watchdog.check_once() == []
    bot.clock.advance(61)
    sent = await watchdog.check_once()
    assert _titles(sent) == ["Watchdog: the FxSocket stream of key 'sim-trade' is down"]
    status.connected, status.since, status.subscriptions = True, bot.clock.now(), 2
    status.last_event_at = bot.clock.now()
    recovered = await watchdog.check_once()
    assert _titles(recovered) == ["Watchdog: recovered — the FxSocket stream of key 'sim-trade' is down"]
    bot.clock.advance(301)  # Thursday: the market is open and nothing came for 5 minutes
    assert _titles(await watchdog.check_once()) == ["Watchdog: the FxSocket stream of key 'sim-trade' is silent"]
    status.last_event_at = bot.clock.now()
    assert len(await watchdog.check_once()) == 1  # recovered

    bot.clock.current = datetime(2026, 4, 4, 12, 0, tzinfo=UTC)  # Saturday: silence is normal
    assert await watchdog.check_once() == []
    bot.clock.advance(3600)
    assert await watchdog.check_once() == []


async def test_notify_watchdog_off_silences_a_chat(bot: BotHarness) -> None:
    reply = reply_text(await bot.say("/notify watchdog off"))
    assert "watchdog: off" in reply, reply
    watchdog = _watchdog(bot)
    await bot.set_account_status("disconnected")
    assert await watchdog.check_once() == []
    assert [n for n in await _pending(bot) if n.kind == "watchdog"] == []
    await bot.say("/notify watchdog on")
    await bot.set_account_status("connected")
    assert all(n.title.startswith("Watchdog: recovered") for n in await watchdog.check_once())


async def test_restart_notice_says_how_long_the_bot_was_down(bot: BotHarness) -> None:
    first = _watchdog(bot)
    await first.start()
    await first.check_once()  # no earlier run: no restart notice
    assert not [n for n in await _pending(bot) if "restarted" in n.title]
    bot.clock.advance(600)
    second = _watchdog(bot)
    await second.start()
    sent = await second.check_once()
    assert _titles(sent) == ["Watchdog: the bot restarted"]
    assert "down for about 10 min" in sent[0].lines[0] and "no stream to reconcile" in sent[0].lines[1]
    assert await second.check_once() == []


async def _pending(bot: BotHarness) -> list[Notification]:
    return [i.notification for i in await bot.services.alerts.outbox.pending()]


async def test_friday_reminder_lists_open_positions_once(bot: BotHarness) -> None:
    await bot.set_quote("EURUSD", 1.10000, 1.10002)
    assert "filled" in reply_text(await bot.say("/buy EURUSD 0.1"))
    bad = reply_text(await bot.say("/watchdog weekend soon"))
    assert "not a duration" in bad and "/watchdog weekend 30m" in bad
    assert "30 min before" in reply_text(await bot.say("/watchdog weekend 30m"))
    watchdog = _watchdog(bot)
    bot.clock.current = datetime(2026, 4, 3, 20, 29, tzinfo=UTC)  # Friday 16:29 New York
    assert await watchdog.check_once() == []
    bot.clock.current = datetime(2026, 4, 3, 20, 31, tzinfo=UTC)
    sent = await watchdog.check_once()
    assert len(sent) == 1 and "closes for the weekend at 2026-04-03 21:00 UTC" in sent[0].title, _titles(sent)
    assert sent[0].lines[0] == "1 open position(s):" and "BUY 0.10 EURUSD" in sent[0].lines[1]
    assert await watchdog.check_once() == []
    assert "Friday reminder: 30 min before" in reply_text(await bot.say("/watchdog"))


async def test_watchdog_weekend_needs_an_admin(bot: BotHarness) -> None:
    alice = bot.user("alice")
    group = await bot.group_chat(members={alice: Role.TRADER})
    assert "nothing is wrong now" in reply_text(await bot.say("/watchdog", user=alice, chat=group))
    assert "admin" in reply_text(await bot.say("/watchdog weekend 30m", user=alice, chat=group)).lower()


@pytest.fixture
async def heartbeat_server() -> AsyncIterator[tuple[str, list[str]]]:
    seen: list[str] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        seen.append(request.split(b"\r\n", 1)[0].decode())
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nOK")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/ping/abc", seen
    finally:
        server.close()
        await server.wait_closed()


async def test_heartbeat_ping_goes_out_and_a_failure_never_raises(bot: BotHarness,
                                                                  heartbeat_server: tuple[str, list[str]]) -> None:
    url, seen = heartbeat_server
    watchdog = _watchdog(bot)
    assert await watchdog.ping(url)
    assert seen == ["GET /ping/abc HTTP/1.1"] and watchdog.last_ping_at == bot.clock.now()
    assert not await watchdog.ping("http://127.0.0.1:9/unreachable")  # nothing listens there
    assert watchdog.last_ping_error is not None


