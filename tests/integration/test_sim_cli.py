"""`fxbot sim` as a subprocess: banner, a request, clean stop on signals; bad flags exit 2."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import sys
from pathlib import Path

import httpx
import pytest

from fxbot.cli import main
from tests.integration.sim_contract import auth

REPO = Path(__file__).resolve().parents[2]


async def _spawn(*flags: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "fxbot.cli", "sim", *flags,
        cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def _banner(process: asyncio.subprocess.Process) -> str:
    assert process.stdout is not None
    lines: list[str] = []
    while True:
        line = (await asyncio.wait_for(process.stdout.readline(), 15)).decode()
        assert line, "the simulator exited before printing its banner"
        lines.append(line)
        if "Ctrl-C" in line:
            return "".join(lines)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
async def test_cli_starts_prints_banner_serves_and_stops_cleanly(stop_signal: signal.Signals) -> None:
    given = stop_signal == signal.SIGTERM  # one run with --key, one with generated keys
    keys = ["--key", "trade=sk_test_cli_trade", "--key", "read-only=sk_test_cli_ro"] if given else []
    process = await _spawn("--port", "0", "--seed", "7", "--tick-interval-ms", "100", *keys)
    try:
        banner = await _banner(process)
        base = re.search(r"REST base URL: (http://127\.0\.0\.1:\d+)", banner)
        stream = re.search(r"Stream URL:\s+(ws://127\.0\.0\.1:\d+/v1/stream)", banner)
        assert base and stream and "seed 7" in banner
        listed = dict(re.findall(r"^\s+(read-only|trade|full)\s+(\S+)$", banner, re.MULTILINE))
        if given:  # --key replaced the generated keys
            assert listed == {"trade": "sk_test_cli_trade", "read-only": "sk_test_cli_ro"}
        else:
            assert set(listed) == {"read-only", "trade", "full"}
            assert all(key.startswith("sk_test_") for key in listed.values())
        async with httpx.AsyncClient(base_url=base.group(1), headers=auth(listed["trade"])) as http:
            response = await http.get("/v1/quotes/EURUSD")
        assert response.status_code == 200 and response.json()["symbol"] == "EURUSD"
        process.send_signal(stop_signal)
        _, err = await asyncio.wait_for(process.communicate(), 10)
        assert process.returncode == 0, err.decode()
        assert listed["trade"].encode() not in err  # keys are only in the banner, never in logs
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--key", "admin=sk_test_secret_value"], "unknown scope 'admin'"),
        (["--key", "sk_test_secret_value"], "SCOPE=KEY"),
        (["--key", "trade="], "non-empty"),
        (["--port", "-1"], "between 0 and 65535"),
        (["--port", "70000"], "between 0 and 65535"),
        (["--port", "http"], "whole number"),
        (["--tick-interval-ms", "0"], "greater than 0"),
        (["--tick-interval-ms", "-5"], "greater than 0"),
        (["--seed", "abc"], "whole number"),
        (["--bogus"], "unrecognized arguments"),
    ],
)
def test_bad_flags_exit_2_with_a_clear_message(
    flags: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sim", *flags]) == 2
    captured = capsys.readouterr()
    assert expected in captured.err
    assert "sk_test_secret_value" not in captured.err  # a bad --key never echoes the secret
    assert captured.out == ""  # nothing started, no banner


async def test_bad_flag_subprocess_exit_code() -> None:
    process = await _spawn("--port", "-1")
    out, err = await asyncio.wait_for(process.communicate(), 15)
    assert process.returncode == 2 and out == b"" and b"port" in err


def test_no_subcommand_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage" in capsys.readouterr().err


async def test_port_in_use_is_a_clear_error_exit_1() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        process = await _spawn("--port", str(taken.getsockname()[1]))
        out, err = await asyncio.wait_for(process.communicate(), 15)
    assert process.returncode == 1 and b"cannot listen on 127.0.0.1" in err and b"sk_test" not in out
