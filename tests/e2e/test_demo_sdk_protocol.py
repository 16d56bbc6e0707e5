"""`fxbot demo --protocol sdk`: the demo over the simulator's terminal-API face, with an fxs_live_ key (trade, or
full) or an fxs_ro_ key (read-only) — needs the terminal-API backend registered in the services container."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fxbot.cli import build_parser
from fxbot.demo import DemoProtocol, demo_key
from fxbot.domain.access import Scope
from fxbot.simulator.runner import RunningSimulator

FXBOT = [sys.executable, "-m", "fxbot.cli"]
pytestmark = pytest.mark.timeout(120)


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FXBOT_")}
    env["HOME"] = str(tmp_path)
    return env


def _demo(tmp_path: Path, *flags: str, script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FXBOT, "demo", "--protocol", "sdk", "--seed", "7", *flags], input=script,
                          capture_output=True, text=True, timeout=90, cwd=tmp_path, env=_env(tmp_path))


def test_the_protocol_flag_defaults_to_v1_and_takes_sdk() -> None:
    parser = build_parser()
    assert parser.parse_args(["demo"]).protocol == "v1"
    assert parser.parse_args(["demo", "--protocol", "sdk"]).protocol == "sdk"


def test_demo_keys_per_protocol_and_scope(sim_paused: RunningSimulator) -> None:
    assert demo_key(sim_paused, DemoProtocol.V1, Scope.TRADE) == sim_paused.keys["trade"]
    assert demo_key(sim_paused, DemoProtocol.SDK, Scope.READ_ONLY).startswith("fxs_ro_")
    assert demo_key(sim_paused, DemoProtocol.SDK, Scope.TRADE) == sim_paused.sdk_keys["full"]
    assert demo_key(sim_paused, DemoProtocol.SDK, Scope.FULL).startswith("fxs_live_")


def test_sdk_demo_from_a_pipe_trades_by_ticket_and_shows_the_terminals(tmp_path: Path) -> None:
    script = "/account\n/buy EURUSD 0.1 sl=20p tp=40p\n/positions\n/close all\n/status\n/keys\n"
    done = _demo(tmp_path, script=script)
    out = done.stdout
    assert done.returncode == 0, done.stderr + out
    assert "fxbot demo" in out and "/sdk/v1" in out and "the terminal API" in out
    assert "BUY 0.10 lot EURUSD filled" in out, out
    assert "position #" in out and "closed at" in out
    assert "terminal acc_8xKm2" in out and "EA heartbeat" in out
    assert "Traceback" not in out + done.stderr
    assert re.search(r"demo +trade +fxs_l", out.split("» /keys")[-1])  # the live key, capped to trade (default)
    assert "fxs_live_" not in out  # the demo key is never echoed


def test_sdk_demo_read_only_uses_a_read_only_key_and_refuses_orders(tmp_path: Path) -> None:
    done = _demo(tmp_path, "--scope", "read-only", script="/buy EURUSD 0.1\n/keys\n")
    assert done.returncode == 0, done.stderr
    assert "this chat's key is read-only — /buy needs a trade key" in done.stdout and "filled" not in done.stdout
    keys = done.stdout.split("» /keys")[-1]
    assert re.search(r"demo +read-only +fxs_ro_", keys), keys  # an fxs_ro_ key, stored read-only
