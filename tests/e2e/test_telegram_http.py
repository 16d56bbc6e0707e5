"""e2e over real HTTP: `fxbot run --config FILE` as a subprocess reaching the fake Bot API via telegram.base_url."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from fxbot.simulator.runner import RunningSimulator
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.telegram_transports import serve_bot_api


def _env(tmp_path: Path) -> dict[str, str]:
    from cryptography.fernet import Fernet

    env = {k: v for k, v in os.environ.items() if not k.startswith("FXBOT_")}
    env["HOME"] = str(tmp_path)
    env["FXBOT_SECRET_KEY"] = Fernet.generate_key().decode("ascii")
    env["FXBOT_TELEGRAM__TOKEN"] = FakeBotApi.TOKEN  # the token comes from the environment, not the file
    return env


async def test_fxbot_run_answers_start_over_http_and_exits_zero_on_sigterm(
    sim_paused: RunningSimulator, tmp_path: Path
) -> None:
    api = FakeBotApi()
    alice = api.user(101, "Alice", username="alice")
    async with serve_bot_api(api) as base_url:
        config = tmp_path / "fxbot.yaml"
        config.write_text(
            f"fxsocket:\n  base_url: {sim_paused.base_url}\n  stream_url: {sim_paused.stream_url}\n"
            f"database:\n  path: {tmp_path / 'bot.db'}\n"
            f"telegram:\n  base_url: {base_url.removesuffix('/bot')}\n  poll_timeout_s: 1\n"
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "fxbot.cli", "run", "--config", str(config),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=_env(tmp_path), cwd=tmp_path,
        )
        try:
            await api.wait_for("getUpdates", lambda c: c.params.get("timeout") not in (None, "0"), within_s=30)
            api.send_text(api.private_chat(alice), alice, "/start")
            welcome = await api.wait_for("sendMessage", lambda c: c.chat_id == 101, within_s=15)
            assert welcome.params["parse_mode"] == "HTML"
            assert "/link" in welcome.text or "/help" in welcome.text, welcome.text
            assert api.calls_of("setMyCommands"), "the menu is registered at start-up"
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), 20)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    assert process.returncode == 0, stderr.decode()
    assert FakeBotApi.TOKEN not in stderr.decode()
    assert "Traceback" not in stderr.decode()
