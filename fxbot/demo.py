"""`fxbot demo`: the simulator in-process on a free loopback port plus the console chat bound to a demo key."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from fxbot.app import build
from fxbot.config import DatabaseSettings, FxSocketSettings, Settings
from fxbot.domain.access import Scope
from fxbot.logging_setup import TERMINAL_CHAT_LOG, keep_logs_off_a_terminal_chat
from fxbot.simulator.config import SimConfig
from fxbot.simulator.runner import start_simulator

WELCOME = """\
fxbot demo — a simulated FxSocket account (no money, no network) is running at {base_url}
This console is a private chat with the bot, bound to a demo '{scope}' key.
Try:  /quote EURUSD GBPUSD   /account   /buy EURUSD 0.1 sl=20p tp=40p   /positions   /close all
      /alert EURUSD cross {near}   /alerts   /history today   /help
Buttons are answered by typing their number or label. Ctrl-D (end of input) quits.
"""


async def run_demo(
    *,
    scope: Scope,
    stdin: TextIO,
    stdout: TextIO,
    env: Mapping[str, str],
    seed: int | None = None,
    tick_interval_ms: int = 500,
    data_dir: Path | None = None,
) -> int:
    """Run the demo until end of input or a signal; returns the process exit code."""
    with tempfile.TemporaryDirectory(prefix="fxbot-demo-") as tmp:
        workdir = data_dir or Path(tmp)
        log_file = workdir / "fxbot-console.log" if data_dir else TERMINAL_CHAT_LOG
        # In a terminal the log goes to a file before anything starts (never between the chat's replies).
        keep_logs_off_a_terminal_chat(log_file, stdin=stdin, stdout=stdout, stderr=sys.stderr)
        config = SimConfig(host="127.0.0.1", port=0, seed=seed, tick_interval_ms=tick_interval_ms)
        async with await start_simulator(config) as sim:
            settings = Settings(
                fxsocket=FxSocketSettings(base_url=sim.base_url, stream_url=sim.stream_url),
                database=DatabaseSettings(path=workdir / "demo.db"),
                adapters={
                    "console": {
                        "enabled": True,
                        "api_key": sim.keys[scope.value],
                        "scope": scope.value,
                        "key_name": "demo",
                        "images_dir": str(workdir / "charts") if data_dir else "charts",
                        "log_file": str(log_file),
                    }
                },
            )
            # The demo's master key is a throwaway file in its own directory, never the user's.
            demo_env = {k: v for k, v in env.items() if k != "FXBOT_SECRET_KEY"}
            app = await build(settings, env=demo_env, stdin=stdin, stdout=stdout)
            eurusd = sim.state.engine.quote("EURUSD")
            near = f"{eurusd['bid'] + 0.0003:.5f}"  # a level the random walk will likely cross soon
            stdout.write(WELCOME.format(base_url=sim.base_url, scope=scope.value, near=near) + "\n")
            stdout.flush()
            await app.run()
    return 0
