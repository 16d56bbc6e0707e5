"""The ops endpoint over real loopback HTTP against the running app: liveness, readiness with its reasons (a
stream dropped by the simulator, an adapter that cannot start), and Prometheus metrics moved by real traffic."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from fxbot.app import build
from fxbot.config import DatabaseSettings, FxSocketSettings, OpsSettings, Settings
from fxbot.ops.server import OpsServerError
from fxbot.simulator.runner import RunningSimulator
from tests.e2e.ops_support import STREAM_BUDGET_S, OpsConsoleApp, value
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.telegram_calls import ApiError
from tests.fakes.telegram_transports import serve_bot_api
from tests.waiting import eventually


@pytest.fixture
async def bot(sim_paused: RunningSimulator, tmp_path: Path, master_env: dict[str, str]
              ) -> AsyncIterator[OpsConsoleApp]:
    app = OpsConsoleApp(sim_paused, tmp_path / "bot.db", master_env)
    await app.start()
    try:
        yield app
    finally:
        await app.kill()


async def test_healthz_answers_and_readyz_is_ready_with_every_part_named(bot: OpsConsoleApp) -> None:
    health = await bot.ops_get("/healthz")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    ready = await bot.ops_get("/readyz")
    assert ready.status_code == 200, ready.text
    body = ready.json()
    assert body["ready"] is True and body["not_ready"] == []
    assert body["checks"]["adapters"]["parts"] == {"console": {"ok": True, "detail": "running"}}
    assert body["checks"]["database"]["parts"]["sqlite"] == {"ok": True, "detail": "writable"}
    streams = body["checks"]["streams"]["parts"]
    assert list(streams.values()) == [{"ok": True, "detail": "connected"}]
    assert (await bot.ops_get("/docs")).status_code == 404  # nothing but the three routes


async def test_readyz_says_the_stream_is_down_once_it_is_over_its_budget_and_ready_again_after(
        bot: OpsConsoleApp) -> None:
    bot.gate.close()  # reconnections wait until the gate opens again
    await bot.control("faults", {"drop_streams": True})
    await bot.until(lambda: not bot.stream_connected(), "the stream to drop")
    within = await bot.ops_get("/readyz")
    assert within.status_code == 200, within.text  # reconnecting, within its budget
    (detail,) = [p["detail"] for p in within.json()["checks"]["streams"]["parts"].values()]
    assert detail.startswith("reconnecting for") and f"{STREAM_BUDGET_S:g} s budget" in detail

    bot.clock.advance(STREAM_BUDGET_S + 1)
    over = await bot.ops_get("/readyz")
    assert over.status_code == 503
    body = over.json()
    assert body["ready"] is False and body["not_ready"] == ["streams"]
    (part,) = body["checks"]["streams"]["parts"].values()
    assert part["ok"] is False and "over the 30 s budget" in part["detail"] and "disconnected" in part["detail"]
    samples = await bot.metrics()
    assert value(samples, "fxbot_ready") == 0
    assert value(samples, "fxbot_streams", state="reconnecting") == 1
    assert value(samples, "fxbot_stream_gaps_total", kind="disconnect") >= 1

    bot.gate.open()
    await bot.until(bot.stream_connected, "the stream to reconnect")
    again = await bot.ops_get("/readyz")
    assert again.status_code == 200, again.text
    samples = await bot.metrics()
    assert value(samples, "fxbot_stream_reconnects_total") >= 1
    assert value(samples, "fxbot_streams", state="connected") == 1


async def test_metrics_count_a_real_command_its_fxsocket_requests_and_a_real_alert(bot: OpsConsoleApp) -> None:
    before = await bot.metrics()
    assert value(before, "fxbot_commands_total", command="quote", outcome="ok") == 0
    assert value(before, "fxbot_build_info", version=_installed_version()) == 1

    reply = await bot.say("/quote EURUSD")
    assert "EURUSD" in reply
    await bot.say("/frobnicate now")
    samples = await bot.metrics()
    assert value(samples, "fxbot_commands_total", command="quote", outcome="ok") == 1
    assert value(samples, "fxbot_command_duration_seconds_count", command="quote") == 1
    assert value(samples, "fxbot_commands_total", command="other", outcome="unknown") == 1
    assert value(samples, "fxbot_fxsocket_requests_total", endpoint="/v1/quotes/{symbol}", method="GET",
                 status="200") >= 1

    bid = float((await bot.quote("EURUSD"))["bid"])
    level = round(bid + 0.0010, 5)
    await bot.say(f"/alert EURUSD above {level:.5f}")
    await bot.until(lambda: bot.subscribed("EURUSD"), "the EURUSD quote subscription")
    await bot.move("EURUSD", level + 0.0003)
    await bot.wait_for(f"EURUSD is above {level:.5f}")
    await bot.recorded()
    samples = await bot.metrics()
    assert value(samples, "fxbot_alerts_fired_total", kind="price_alert") == 1
    assert value(samples, "fxbot_quotes_evaluated_total") >= 1
    assert value(samples, "fxbot_commands_total", command="alert", outcome="ok") == 1
    assert value(samples, "fxbot_notification_delivery_seconds_count", platform="console") >= 1
    assert value(samples, "fxbot_outbox_pending", platform="console") == 0


async def test_an_fxsocket_429_is_counted_by_endpoint(bot: OpsConsoleApp) -> None:
    await bot.control("faults", {"rate_limit_for_s": 0.5})
    await bot.say("/quote EURUSD")  # waits out the 429 and resends
    samples = await bot.metrics()
    assert value(samples, "fxbot_fxsocket_rate_limited_total", endpoint="/v1/quotes/{symbol}") >= 1
    assert value(samples, "fxbot_fxsocket_requests_total", endpoint="/v1/quotes/{symbol}", method="GET",
                 status="429") >= 1


async def test_readyz_names_an_adapter_that_cannot_start_yet(
        sim_paused: RunningSimulator, tmp_path: Path, master_env: dict[str, str]) -> None:
    api = FakeBotApi()
    api.fail("getMe", ApiError(502, "Bad Gateway"), times=1)
    release = asyncio.Event()

    async def held_backoff(seconds: float) -> None:
        await release.wait()

    async with serve_bot_api(api) as base_url:
        settings = Settings(fxsocket=FxSocketSettings(base_url=sim_paused.base_url, stream_url=sim_paused.stream_url),
                            database=DatabaseSettings(path=tmp_path / "fxbot.db"),
                            ops=OpsSettings(enabled=True, port=0))
        app = await build(settings, env=master_env,
                          adapter_overrides={"telegram": {"token": FakeBotApi.TOKEN, "base_url": base_url}})
        app.start_sleep = held_backoff
        task = asyncio.create_task(app.run(install_signal_handlers=False))
        try:
            async with httpx.AsyncClient(timeout=10) as http:
                assert app.ops is not None
                await eventually(lambda: app.starter is not None and app.starter.retrying == ["telegram"],
                                 "telegram's start to be retried")
                url = app.ops.url
                answer = await http.get(url + "/readyz")
                assert answer.status_code == 503
                body = answer.json()
                assert body["not_ready"] == ["adapters"]
                assert body["checks"]["adapters"]["parts"]["telegram"] == {
                    "ok": False, "detail": "not started yet; retrying"}
                assert (await http.get(url + "/healthz")).status_code == 200  # alive all the same
                release.set()
                await eventually(lambda: app.starter is not None and bool(app.starter.started), "telegram to start")
                answer = await http.get(url + "/readyz")
                assert answer.json()["checks"]["adapters"]["parts"]["telegram"]["ok"] is True
        finally:
            app.request_shutdown()
            await asyncio.wait_for(task, 30)
    with pytest.raises(httpx.ConnectError):  # stopped with the app
        async with httpx.AsyncClient(timeout=5) as http:
            await http.get(url + "/healthz")


async def test_a_taken_port_stops_the_run_with_one_clear_error(
        sim_paused: RunningSimulator, tmp_path: Path, master_env: dict[str, str]) -> None:
    first = OpsConsoleApp(sim_paused, tmp_path / "one.db", master_env)
    await first.start()
    try:
        settings = Settings(fxsocket=FxSocketSettings(base_url=sim_paused.base_url, stream_url=sim_paused.stream_url),
                            database=DatabaseSettings(path=tmp_path / "two.db"),
                            ops=OpsSettings(enabled=True, port=_port(first.ops_url)))
        second = await build(settings, env=master_env, adapter_overrides={"console": {"images_dir": str(tmp_path)}})
        with pytest.raises(OpsServerError, match=r"cannot listen on 127\.0\.0\.1:\d+"):
            await asyncio.wait_for(second.run(install_signal_handlers=False), 30)
    finally:
        await first.kill()


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def _installed_version() -> str:
    from fxbot.version import fxbot_version

    return fxbot_version()
