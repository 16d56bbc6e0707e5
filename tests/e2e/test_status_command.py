"""/status end to end: uptime, FxSocket reachability and latency, and the absent stream pump."""

from __future__ import annotations

from fxbot.chat.types import ReplyKind
from fxbot.services.health import StreamHealth
from tests.e2e.conftest import BotHarness, reply_text


async def test_status_in_a_bound_chat(bot: BotHarness) -> None:
    bot.clock.advance(3 * 3600 + 120)
    replies = await bot.say("/status")
    text = reply_text(replies)
    assert "up 3h 2m" in text
    assert "FxSocket: reachable, key 'sim-trade' accepted in" in text and " ms" in text
    assert "database: ok" in text
    assert "stream: not running" in text


async def test_status_with_a_stream_provider(bot: BotHarness) -> None:
    class Pump:
        def stream_health(self) -> StreamHealth:
            return StreamHealth(connected=True, since=bot.clock.now(), reconnects=2, subscriptions=3)

    bot.services.health.set_stream_status_provider(Pump())
    text = reply_text(await bot.say("/status"))
    assert "stream: connected" in text and "2 reconnects" in text and "3 subscriptions" in text


async def test_status_in_an_unbound_chat_still_probes_fxsocket(bot: BotHarness) -> None:
    stranger = bot.user("stranger")
    text = reply_text(await bot.say("/status", user=stranger, chat=bot.private_chat_of(stranger)))
    assert "FxSocket: reachable (this chat has no key to check)" in text


async def test_status_takes_no_arguments(bot: BotHarness) -> None:
    replies = await bot.say("/status now")
    assert replies[0].kind is ReplyKind.ERROR and "too many arguments" in reply_text(replies)


async def test_status_reports_a_revoked_key(bot: BotHarness) -> None:
    await bot.revoke(bot.sim.keys["trade"])
    text = reply_text(await bot.say("/status"))
    assert "refused this chat's key" in text
