"""`fxbot demo`: the simulator in-process on a free loopback port plus the console chat bound to a demo key.

`protocol` picks which of the simulator's faces the bot talks to: `v1` (an `sk_test_` key on the /v1 API) or
`sdk` (the terminal API, as the official `fxsocket` SDK speaks it: an `fxs_live_` key, or `fxs_ro_` for the
read-only scope; the `trade` scope is the live key capped to trade).
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import TextIO

from fxbot.app import build
from fxbot.config import DatabaseSettings, FxSocketSettings, Settings
from fxbot.domain.access import Scope
from fxbot.logging_setup import TERMINAL_CHAT_LOG, keep_logs_off_a_terminal_chat
from fxbot.simulator.config import SimConfig
from fxbot.simulator.runner import RunningSimulator, start_simulator

WELCOME = """\
fxbot demo — a simulated FxSocket account (no money, no network) is running at {base_url}
This console is a private chat with the bot, bound to a demo '{scope}' key of {api}.
Try:  /quote EURUSD GBPUSD   /account   /buy EURUSD 0.1 sl=20p tp=40p   /positions   /close all
      /alert EURUSD cross {near}   /alerts   /history today   /help{extra}
Buttons are answered by typing their number or label. Ctrl-D (end of input) quits.
"""
SDK_EXTRA = """
      /status (the terminal's broker connection)   /buystoplimit EURUSD 0.1 PRICE LIMIT   /close #TICKET"""


class DemoProtocol(StrEnum):
    """Which API of the simulator the demo's key belongs to."""

    V1 = "v1"  # the /v1 API: sk_test_ keys
    SDK = "sdk"  # the terminal API as the official SDK speaks it: fxs_live_ / fxs_ro_ keys


def demo_key(sim: RunningSimulator, protocol: DemoProtocol, scope: Scope) -> str:
    """The simulator's key for the demo: an `sk_` key of that scope on /v1; on the terminal API an `fxs_ro_` key
    for read-only and the `fxs_live_` key otherwise (the console key's scope caps it to `trade`)."""
    if protocol is DemoProtocol.V1:
        return sim.keys[scope.value]
    return sim.sdk_keys[Scope.READ_ONLY.value if scope is Scope.READ_ONLY else Scope.FULL.value]


async def run_demo(
    *,
    scope: Scope,
    stdin: TextIO,
    stdout: TextIO,
    env: Mapping[str, str],
    seed: int | None = None,
    tick_interval_ms: int = 500,
    data_dir: Path | None = None,
    protocol: DemoProtocol = DemoProtocol.V1,
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
                fxsocket=FxSocketSettings(base_url=sim.base_url, stream_url=sim.stream_url,
                                          management_url=sim.sdk_url),
                database=DatabaseSettings(path=workdir / "demo.db"),
                adapters={
                    "console": {
                        "enabled": True,
                        "api_key": demo_key(sim, protocol, scope),
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
            sdk = protocol is DemoProtocol.SDK
            stdout.write(WELCOME.format(
                base_url=sim.sdk_url if sdk else sim.base_url, scope=scope.value, near=near,
                api="the terminal API (as the official fxsocket SDK speaks it)" if sdk else "the /v1 API",
                extra=SDK_EXTRA if sdk else "") + "\n")
            stdout.flush()
            await app.run()
    return 0
