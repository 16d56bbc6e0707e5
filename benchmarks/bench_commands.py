"""Benchmark: bot-side overhead per command (API time excluded) and end-to-end /buy latency through the console.

Run: .venv/bin/python benchmarks/bench_commands.py [--iterations N]

Overhead is measured on the real stack (parser, registry, access check, services, reply building and,
for the console figure, rendering) against the in-process simulator on loopback: every HTTP exchange is
timed inside the httpx transport, and overhead = command latency - time spent in HTTP. The pacer and
the simulator's rate limit are raised so they do not distort the figures. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import httpx

from fxbot.app import build
from fxbot.chat.types import ChatKind, ChatRef, ChatUser, IncomingCommand
from fxbot.config import DatabaseSettings, FxSocketSettings, Settings
from fxbot.fxsocket.pacing import RequestPacer
from fxbot.simulator.config import SimConfig
from fxbot.simulator.runner import start_simulator

COMMANDS = [
    "/help buy",
    "/buy EURUSDD 0.1",  # a usage error: never reaches the API
    "/quote EURUSD",
    "/quote EURUSD GBPUSD USDJPY XAUUSD",
    "/account",
    "/positions",
    "/buy EURUSD 0.01",
]


class TimingTransport(httpx.AsyncHTTPTransport):
    """Adds up the wall time during which at least one HTTP exchange is in flight (concurrent ones overlap)."""

    def __init__(self) -> None:
        super().__init__()
        self.spent = 0.0
        self._in_flight = 0
        self._since = 0.0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._in_flight == 0:
            self._since = time.perf_counter()
        self._in_flight += 1
        try:
            response = await super().handle_async_request(request)
            await response.aread()
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self.spent += time.perf_counter() - self._since
        return response


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def dispatcher_overhead(iterations: int, workdir: Path) -> None:
    config = SimConfig(port=0, seed=1, market_paused=True, rate_limit_per_s=10**9)
    async with await start_simulator(config) as sim:
        settings = Settings(
            fxsocket=FxSocketSettings(base_url=sim.base_url, stream_url=sim.stream_url),
            database=DatabaseSettings(path=workdir / "bench.db"),
            adapters={"console": {"api_key": sim.keys["trade"], "scope": "trade"}},
        )
        app = await build(settings, env={}, stdin=io.StringIO(""), stdout=io.StringIO())
        transport = TimingTransport()
        # swap in the timing transport and an unlimited pacer (measurement only)
        app.services.brokers._http = httpx.AsyncClient(transport=transport)
        app.services.brokers._pacer = RequestPacer(max_requests=10**9)
        await app.services.chat_settings.set_confirm("console:local", "never")
        chat = ChatRef(id="console:local", kind=ChatKind.PRIVATE, platform="console")
        user = ChatUser(id="console:local", display_name="bench", is_platform_admin=True)
        print(f"bot-side overhead per command ({iterations} runs each; API time excluded)")
        print(f"{'command':42} {'total p50':>10} {'api p50':>9} {'overhead p50':>13} {'overhead p95':>13}")
        for text in COMMANDS:
            totals, overheads, apis = [], [], []
            for _ in range(iterations):
                transport.spent = 0.0
                start = time.perf_counter()
                replies = await app.dispatcher.handle(
                    IncomingCommand(user=user, chat=chat, text=text, received_at=datetime.now(UTC))
                )
                total = time.perf_counter() - start
                assert replies, text
                totals.append(total * 1000)
                apis.append(transport.spent * 1000)
                overheads.append((total - transport.spent) * 1000)
            print(
                f"{text:42} {statistics.median(totals):8.2f}ms {statistics.median(apis):7.2f}ms "
                f"{statistics.median(overheads):11.3f}ms {_pct(overheads, 0.95):11.3f}ms"
            )
        await app.services.brokers._http.aclose()
        await app.close()


class StampedWriter(io.StringIO):
    """Records when each reply line is written."""

    def __init__(self) -> None:
        super().__init__()
        self.stamps: list[tuple[float, str]] = []

    def write(self, text: str) -> int:
        self.stamps.append((time.perf_counter(), text))
        return super().write(text)


async def console_buy_latency(iterations: int, workdir: Path) -> None:
    config = SimConfig(port=0, seed=2, market_paused=True, rate_limit_per_s=10**9)
    async with await start_simulator(config) as sim:
        read_fd, write_fd = os.pipe()
        stdin: TextIO = os.fdopen(read_fd, "r")
        writer = os.fdopen(write_fd, "w")
        stdout = StampedWriter()
        settings = Settings(
            fxsocket=FxSocketSettings(base_url=sim.base_url, stream_url=sim.stream_url),
            database=DatabaseSettings(path=workdir / "console.db"),
            adapters={"console": {"api_key": sim.keys["trade"], "scope": "trade", "echo": False}},
        )
        app = await build(settings, env={}, stdin=stdin, stdout=stdout)
        app.services.brokers._pacer = RequestPacer(max_requests=10**9)
        await app.services.chat_settings.set_confirm("console:local", "never")
        runner = asyncio.create_task(app.run(install_signal_handlers=False))
        await asyncio.sleep(0.2)
        latencies = []
        for _ in range(iterations):
            seen = len(stdout.stamps)
            start = time.perf_counter()
            writer.write("/buy EURUSD 0.01\n")
            writer.flush()
            while not any("filled" in text for _, text in stdout.stamps[seen:]):  # noqa: ASYNC110 (timing)
                await asyncio.sleep(0)
            end = next(stamp for stamp, text in stdout.stamps[seen:] if "filled" in text)
            latencies.append((end - start) * 1000)
        writer.close()
        await runner
        print(f"\nend-to-end /buy (console input -> fill reply on stdout), {iterations} orders on loopback:")
        print(
            f"  p50 {statistics.median(latencies):.2f} ms   p95 {_pct(latencies, 0.95):.2f} ms   "
            f"max {max(latencies):.2f} ms   mean {statistics.fmean(latencies):.2f} ms"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        await dispatcher_overhead(args.iterations, Path(tmp))
        await console_buy_latency(args.iterations, Path(tmp))
    print(f"\npython {sys.version.split()[0]}, {os.cpu_count()} cores")


if __name__ == "__main__":
    asyncio.run(main())
