"""e2e: `fxbot run` when Telegram cannot be started — a refused token fails the run (exit 1, one line),
network trouble is retried with backoff, one line per attempt. A fake Bot API on loopback; the backoff waits
through a recording fake, so no test waits for real time to pass."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from fxbot.app import App, StartPolicy, StartupFailed, build
from fxbot.config import DatabaseSettings, FxSocketSettings, Settings
from fxbot.simulator.runner import RunningSimulator
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.telegram_calls import ApiError
from tests.fakes.telegram_transports import serve_bot_api

UNAUTHORIZED = ApiError(401, "Unauthorized")
BAD_GATEWAY = ApiError(502, "Bad Gateway")


class RecordingBackoff:
    """The app's backoff sleep: records each wait and returns at once; `waited(n)` wakes after n waits."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self._changed = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)
        self._changed.set()
        await asyncio.sleep(0)

    async def waited(self, count: int) -> None:
        async with asyncio.timeout(30):
            while len(self.delays) < count:
                self._changed.clear()
                await self._changed.wait()


async def make_app(sim: RunningSimulator, tmp_path: Path, base_url: str, **policy: float) -> App:
    settings = Settings(fxsocket=FxSocketSettings(base_url=sim.base_url, stream_url=sim.stream_url),
                        database=DatabaseSettings(path=tmp_path / "fxbot.db"))
    section = {"token": FakeBotApi.TOKEN, "base_url": base_url}
    return await build(settings, env={"FXBOT_SECRET_KEY": _master_key()}, adapter_overrides={"telegram": section},
                       start_policy=StartPolicy(**policy))


def _master_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode("ascii")


def getme_calls(api: FakeBotApi) -> int:
    return sum(1 for call in api.calls if call.method == "getMe")


def ours(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """fxbot's own log records (httpx logs request URLs at INFO; `fxbot run` keeps it at WARNING)."""
    return [r for r in caplog.records if r.name.startswith(("fxbot", "adapters"))]


def no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    assert [r.getMessage() for r in ours(caplog) if r.exc_info] == []
    assert all("\n" not in r.getMessage() for r in ours(caplog))
    assert all(FakeBotApi.TOKEN.split(":")[1] not in r.getMessage() for r in ours(caplog))


@contextlib.asynccontextmanager
async def silent_server() -> AsyncIterator[str]:
    """A loopback server that accepts connections and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/bot"
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


def closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_refused_token_fails_the_run_in_one_line(
        sim_paused: RunningSimulator, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    api = FakeBotApi()
    api.fail("getMe", UNAUTHORIZED, times=100)
    async with serve_bot_api(api) as base_url:
        app = await make_app(sim_paused, tmp_path, base_url)
        with caplog.at_level(logging.INFO), pytest.raises(StartupFailed) as failed:
            await asyncio.wait_for(app.run(install_signal_handlers=False), 30)
    message = str(failed.value)
    assert "telegram: Telegram refused the bot token" in message and "\n" not in message
    assert FakeBotApi.TOKEN.split(":")[1] not in message
    assert getme_calls(api) == 1  # never retried
    no_tracebacks(caplog)


async def test_transient_failures_are_retried_with_backoff_until_telegram_answers(
        sim_paused: RunningSimulator, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    api = FakeBotApi()
    api.fail("getMe", BAD_GATEWAY, times=3)
    backoff = RecordingBackoff()
    async with serve_bot_api(api) as base_url:
        app = await make_app(sim_paused, tmp_path, base_url, first_delay_s=1.0, max_delay_s=3.0)
        app.start_sleep = backoff.sleep
        with caplog.at_level(logging.INFO):
            task = asyncio.create_task(app.run(install_signal_handlers=False))
            try:
                await api.wait_for("getUpdates", lambda c: c.params.get("timeout") != "0")  # polling: it is up
            finally:
                app.request_shutdown()
                await asyncio.wait_for(task, 30)
    assert backoff.delays == [1.0, 2.0, 3.0]  # doubling, capped
    assert getme_calls(api) == 4
    retries = [r.getMessage() for r in caplog.records if "could not start" in r.getMessage()]
    assert len(retries) == 3 and all("Bad Gateway" in line and "retrying in" in line for line in retries)
    assert "adapter telegram started" in caplog.text
    no_tracebacks(caplog)


async def test_connection_refused_is_retried_not_given_up(
        sim_paused: RunningSimulator, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    backoff = RecordingBackoff()
    app = await make_app(sim_paused, tmp_path, f"http://127.0.0.1:{closed_port()}/bot")
    app.start_sleep = backoff.sleep
    with caplog.at_level(logging.INFO):
        task = asyncio.create_task(app.run(install_signal_handlers=False))
        await backoff.waited(3)
        assert not task.done()  # still trying: the bot does not stop on a network problem
        app.request_shutdown()
        await asyncio.wait_for(task, 30)  # an orderly stop while retrying is no failure
    assert backoff.delays[:3] == [1.0, 2.0, 4.0]
    assert "cannot reach the Telegram Bot API" in caplog.text
    no_tracebacks(caplog)


async def test_a_server_that_never_answers_times_out_and_is_retried(
        sim_paused: RunningSimulator, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    backoff = RecordingBackoff()
    async with silent_server() as base_url:
        app = await make_app(sim_paused, tmp_path, base_url, timeout_s=0.2)
        app.start_sleep = backoff.sleep
        with caplog.at_level(logging.INFO):
            task = asyncio.create_task(app.run(install_signal_handlers=False))
            await backoff.waited(2)
            app.request_shutdown()
            await asyncio.wait_for(task, 30)
    assert "no answer within 0.2 s" in caplog.text
    no_tracebacks(caplog)


async def test_a_retry_refused_for_good_stops_the_run_with_a_failure(
        sim_paused: RunningSimulator, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    api = FakeBotApi()
    api.fail("getMe", BAD_GATEWAY)
    api.fail("getMe", UNAUTHORIZED, times=100)
    backoff = RecordingBackoff()
    async with serve_bot_api(api) as base_url:
        app = await make_app(sim_paused, tmp_path, base_url)
        app.start_sleep = backoff.sleep
        with caplog.at_level(logging.INFO), pytest.raises(StartupFailed, match="refused the bot token"):
            await asyncio.wait_for(app.run(install_signal_handlers=False), 30)
    assert backoff.delays == [1.0]
    no_tracebacks(caplog)


async def test_fxbot_run_exits_non_zero_with_one_clear_line(sim_paused: RunningSimulator, tmp_path: Path) -> None:
    api = FakeBotApi()
    api.fail("getMe", UNAUTHORIZED, times=100)
    async with serve_bot_api(api) as base_url:
        config = tmp_path / "fxbot.yaml"
        config.write_text(
            f"fxsocket:\n  base_url: {sim_paused.base_url}\n  stream_url: {sim_paused.stream_url}\n"
            f"database:\n  path: bot.db\ntelegram:\n  base_url: {base_url}\n")
        env: dict[str, Any] = {k: v for k, v in os.environ.items() if not k.startswith("FXBOT_")}
        env |= {"HOME": str(tmp_path), "FXBOT_TELEGRAM__TOKEN": FakeBotApi.TOKEN}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "fxbot.cli", "run", "--config", str(config), stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env, cwd=tmp_path)
        _, err_b = await asyncio.wait_for(proc.communicate(), timeout=60)
    err = err_b.decode()
    assert proc.returncode == 1, err
    assert "Traceback" not in err and FakeBotApi.TOKEN.split(":")[1] not in err
    failure = [line for line in err.splitlines() if "refused the bot token" in line]
    assert failure == [f"fxbot: no chat adapter could start — telegram: {failure[0].split('telegram: ', 1)[1]}"]
