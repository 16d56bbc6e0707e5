"""e2e: Telegram (fake Bot API), Discord (real client on a loopback gateway) and the app's background
tasks (its own notifier, stream pump and digest scheduler) in ONE event loop, each answering, then an
orderly shutdown that stops them in order."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fxbot.adapters.discord.client import DiscordAdapter
from fxbot.adapters.telegram.adapter import TelegramAdapter
from fxbot.app import build
from fxbot.config import parse_settings
from fxbot.notify.notification import Notification, Severity
from fxbot.notify.pacing import PacingLimits
from fxbot.simulator.runner import RunningSimulator
from tests.fakes.discord_harness import ALICE, DESK, fresh_env
from tests.fakes.discord_loopback import LoopbackDiscord
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.telegram_transports import FakeBotRequest

pytestmark = pytest.mark.timeout(60)

FAST = PacingLimits(per_chat_rate=50.0, per_chat_burst=10, group_per_minute=600, global_per_second=100)


async def test_telegram_discord_and_the_notifier_share_one_loop_and_stop_in_order(
    sim_paused: RunningSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = FakeBotApi()
    env = fresh_env()
    settings = parse_settings({"fxsocket": {"base_url": sim_paused.base_url, "stream_url": sim_paused.stream_url},
                               "database": {"path": str(tmp_path / "fxbot.db")}}, env)
    async with LoopbackDiscord() as fake_discord:
        fake_discord.point_discord_here(monkeypatch)
        app = await build(
            settings, env=env, notify_coalesce_s=0.0,
            adapter_overrides={"telegram": {"token": FakeBotApi.TOKEN}, "discord": {"token": "test-token"}},
            adapter_extras={"telegram": {"telegram_request": FakeBotRequest(api), "telegram_pacing": FAST}},
        )
        discord_adapter = next(a for a in app.adapters if isinstance(a, DiscordAdapter))
        assert any(isinstance(a, TelegramAdapter) for a in app.adapters)
        notifier = app.notifier
        assert notifier is not None
        running = asyncio.create_task(app.run(install_signal_handlers=False), name="app")
        try:
            await asyncio.wait_for(fake_discord.identified.wait(), timeout=10)
            await api.wait_for("getUpdates", lambda c: c.params.get("timeout") != "0")

            alice_tg = api.user(101, "Alice", username="alice")
            api.send_text(api.private_chat(alice_tg), alice_tg, "/help")
            help_tg = await api.wait_for("sendMessage", lambda c: c.chat_id == 101)
            assert "Commands" in help_tg.text

            await fake_discord.dispatch("INTERACTION_CREATE",
                                        fake_discord.wire.slash("help", {}, user=ALICE, guild=False))
            help_dc = await fake_discord.wire.wait_for("POST", "/callback")
            assert "Commands" in help_dc.text()

            assert set(app.background) == {"notifier", "pump", "snoozes", "watchdog"}  # started by app.run
            outbox = app.services.alerts.outbox  # the outbox the app's notifier delivers from
            now = datetime.now(UTC)
            for chat_id in ("telegram:101", f"discord:{DESK}"):
                await outbox.enqueue(Notification(chat_id, Severity.WARNING, "EURUSD above 1.1000",
                                                  ("price alert @everyone",), f"test:{chat_id}", "price_alert",
                                                  created_at=now))
            notifier.wake()
            tg_alert = await api.wait_for("sendMessage", lambda c: "EURUSD above" in c.text)
            assert tg_alert.chat_id == 101
            dc_alert = await fake_discord.wire.wait_for("POST", f"/channels/{DESK}/messages")
            assert "EURUSD above 1.1000" in dc_alert.text()
            assert dc_alert.body["allowed_mentions"] == {"parse": []}  # "@everyone" pings nobody
        finally:
            app.request_shutdown()
            await asyncio.wait_for(running, timeout=15)
        assert running.exception() is None
        assert app.background == {}  # the notifier, the pump and the watchdog were stopped (before the adapters)
        await asyncio.wait_for(fake_discord.closed.wait(), timeout=10)  # gateway closed by client.close()
        assert discord_adapter.client.is_closed()
        assert api.calls_of("getUpdates")[-1].params.get("timeout") == "0"  # PTB's final poll on stop
