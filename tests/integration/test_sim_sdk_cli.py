"""`fxbot sim` and the SDK face: the management URL and SDK keys in the banner, its flags, and a real SDK call."""

from __future__ import annotations

import asyncio
import io
import re
import signal
import sys
from pathlib import Path

import fxsocket
import pytest

from fxbot.cli import main
from fxbot.simulator.cli import print_banner
from fxbot.simulator.runner import start_simulator
from tests.conftest import sim_test_config

REPO = Path(__file__).resolve().parents[2]


async def _banner(process: asyncio.subprocess.Process) -> str:
    assert process.stdout is not None
    lines: list[str] = []
    while True:
        line = (await asyncio.wait_for(process.stdout.readline(), 15)).decode()
        assert line, "the simulator exited before printing its banner"
        lines.append(line)
        if "Ctrl-C" in line:
            return "".join(lines)


async def test_given_sdk_keys_replace_generated_ones_and_the_sdk_works_on_the_printed_url() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "fxbot.cli", "sim", "--port", "0", "--seed", "3", "--symbol-suffix", "m",
        "--server-utc-offset", "+3", "--key", "full=fxs_live_cli_full", "--key", "read-only=fxs_ro_cli_ro",
        cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        banner = await _banner(process)
        management = re.search(r"Management URL: (http://127\.0\.0\.1:\d+/sdk/v1)", banner)
        assert management and "UTC+3" in banner and "EURUSDm" in banner
        sdk_keys = dict(re.findall(r"^\s+sdk (read-only|full)\s+(\S+)$", banner, re.MULTILINE))
        assert sdk_keys == {"full": "fxs_live_cli_full", "read-only": "fxs_ro_cli_ro"}
        v1_keys = dict(re.findall(r"^\s+(read-only|trade|full)\s+(\S+)$", banner, re.MULTILINE))
        assert set(v1_keys) == {"read-only", "trade", "full"}  # /v1 got none given, so they were generated
        assert all(key.startswith("sk_test_") for key in v1_keys.values())
        async with fxsocket.AsyncClient(api_key="fxs_ro_cli_ro", base_url=management.group(1)) as fx:
            [first, _] = await fx.accounts.list()
            zone = await fx.terminal(first).server_timezone()
        assert zone.utc_offset_seconds == 3 * 3600
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 10)
        assert process.returncode == 0 and b"fxs_ro_cli_ro" not in err  # keys only in the banner
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_banner_without_keys_shows_one_generated_key_of_each_sdk_kind() -> None:
    async with await start_simulator(sim_test_config()) as sim:
        out = io.StringIO()
        print_banner(sim, out)
    text = out.getvalue()
    assert f"Management URL: {sim.sdk_url}" in text and "UTC+2, UTC+3 while New York is on summer time" in text
    sdk_keys = dict(re.findall(r"^\s+sdk (read-only|full)\s+(\S+)$", text, re.MULTILINE))
    assert sdk_keys["full"].startswith("fxs_live_") and sdk_keys["read-only"].startswith("fxs_ro_")
    assert sdk_keys == sim.sdk_keys


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--key", "trade=fxs_live_secret_value"], "scope full, not trade"),
        (["--key", "full=fxs_ro_secret_value"], "scope read-only, not full"),
        (["--server-utc-offset", "15"], "between -12 and +14"),
        (["--server-utc-offset", "2.5"], "whole hours"),
        (["--symbol-suffix", "a b"], "symbol suffix"),
    ],
)
def test_bad_sdk_flags_exit_2_with_a_clear_message(
    flags: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sim", *flags]) == 2
    captured = capsys.readouterr()
    assert expected in captured.err and "secret_value" not in captured.err and captured.out == ""
