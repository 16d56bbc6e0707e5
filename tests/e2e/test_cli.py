"""The `fxbot` CLI as a newcomer runs it: demo from a pipe, check-config, console and run with SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from fxbot.simulator.runner import RunningSimulator

FXBOT = [sys.executable, "-m", "fxbot.cli"]


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FXBOT_")}
    env["HOME"] = str(tmp_path)  # readline history and the like stay in the sandbox
    return env


def test_demo_from_a_pipe_trades_and_exits_zero(tmp_path: Path) -> None:
    script = "/quote EURUSD\n/buy EURUSD 0.1 sl=20p tp=40p\n/positions\n/close all\n1\n/history today\n"
    done = subprocess.run(
        [*FXBOT, "demo", "--seed", "7"], input=script, capture_output=True, text=True, timeout=60,
        cwd=tmp_path, env=_env(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "fxbot demo" in out and "http://127.0.0.1:" in out
    assert "BUY 0.10 lot EURUSD filled" in out
    assert "closed at" in out
    assert "Traceback" not in out + done.stderr
    assert "sk_test_" not in out  # the demo key is never echoed


def test_demo_read_only_scope_refuses_orders(tmp_path: Path) -> None:
    done = subprocess.run(
        [*FXBOT, "demo", "--scope", "read-only"], input="/buy EURUSD 0.1\n", capture_output=True, text=True,
        timeout=60, cwd=tmp_path, env=_env(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    assert "read-only" in done.stdout and "filled" not in done.stdout


def test_demo_rejects_bad_flags(tmp_path: Path) -> None:
    done = subprocess.run([*FXBOT, "demo", "--scope", "admin"], capture_output=True, text=True, timeout=30,
                          env=_env(tmp_path))
    assert done.returncode == 2
    assert "invalid choice: 'admin'" in done.stderr


def test_check_config_prints_redacted_settings(tmp_path: Path) -> None:
    config = tmp_path / "fxbot.yaml"
    config.write_text("fxsocket:\n  base_url: http://127.0.0.1:9\nconsole:\n  enabled: true\n")
    env = _env(tmp_path) | {"FXBOT_CONSOLE__API_KEY": "sk_live_verysecretvalue0001"}
    done = subprocess.run([*FXBOT, "check-config", str(config)], capture_output=True, text=True, timeout=30, env=env)
    assert done.returncode == 0, done.stderr
    assert '"api_key": "***"' in done.stdout
    assert "verysecret" not in done.stdout + done.stderr
    assert "chat adapters enabled: console" in done.stderr


def test_check_config_lists_every_problem_by_key(tmp_path: Path) -> None:
    config = tmp_path / "fxbot.yaml"
    config.write_text(
        "fxsocket:\n  base_url: ftp://nope\nconsole:\n  scope: godmode\nmatrix:\n  enabled: true\n"
    )
    done = subprocess.run([*FXBOT, "check-config", str(config)], capture_output=True, text=True, timeout=30,
                          env=_env(tmp_path))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    # every problem at once: the core section's and each adapter's
    for expected in ("fxsocket.base_url", "console.scope", "matrix: no chat adapter"):
        assert expected in done.stderr


async def _spawn(args: list[str], env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *FXBOT, *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=env, cwd=cwd,
    )


async def test_console_with_config_against_a_running_simulator(sim_paused: RunningSimulator, tmp_path: Path) -> None:
    # async: the simulator lives in this test's event loop, so the child must not block it
    config = tmp_path / "fxbot.yaml"
    config.write_text(
        f"fxsocket:\n  base_url: {sim_paused.base_url}\n  stream_url: {sim_paused.stream_url}\n"
        "database:\n  path: bot.db\n"
    )
    env = _env(tmp_path) | {"FXBOT_CONSOLE__API_KEY": sim_paused.keys["trade"]}
    proc = await _spawn(["console", "--config", str(config)], env, tmp_path)
    out_b, err_b = await asyncio.wait_for(proc.communicate(b"/account\n/buy USDJPY 0.2\n"), timeout=60)
    out, err = out_b.decode(), err_b.decode()
    assert proc.returncode == 0, err
    assert "acc_8xKm2" in out and "USDJPY filled" in out
    assert (tmp_path / "bot.db").exists() and (tmp_path / "fxbot.key").exists()
    assert sim_paused.keys["trade"] not in out + err


async def test_run_stops_cleanly_on_sigterm(sim_paused: RunningSimulator, tmp_path: Path) -> None:
    config = tmp_path / "fxbot.yaml"
    config.write_text(
        f"fxsocket:\n  base_url: {sim_paused.base_url}\n  stream_url: {sim_paused.stream_url}\n"
        "console:\n  enabled: true\n"
    )
    env = _env(tmp_path) | {"FXBOT_CONSOLE__API_KEY": sim_paused.keys["read-only"],
                            "FXBOT_CONSOLE__SCOPE": "read-only"}
    proc = await _spawn(["run", "--config", str(config)], env, tmp_path)
    try:
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        proc.stdin.write(b"/quote XAUUSD\n")
        await proc.stdin.drain()
        seen = ""
        while "spread" not in seen:
            line = await asyncio.wait_for(proc.stdout.readline(), timeout=30)
            assert line, "the bot closed stdout before answering"
            seen += line.decode()
        assert "XAUUSD" in seen
        proc.send_signal(signal.SIGTERM)  # stdin stays open: only the signal can stop it
        code = await asyncio.wait_for(proc.wait(), timeout=30)
        err = (await proc.stderr.read()).decode()
    finally:
        if proc.returncode is None:
            proc.kill()
    assert code == 0
    assert "Traceback" not in err


def test_run_without_adapters_says_so(tmp_path: Path) -> None:
    config = tmp_path / "fxbot.yaml"
    config.write_text("database:\n  path: bot.db\n")
    done = subprocess.run([*FXBOT, "run", "--config", str(config)], capture_output=True, text=True, timeout=30,
                          env=_env(tmp_path))
    assert done.returncode == 1
    assert "no chat adapter is enabled" in done.stderr
