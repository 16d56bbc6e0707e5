"""Benchmark: bot-side overhead per command, rendering included (API time excluded), and end-to-end /buy latency
through the console.

Run: .venv/bin/python benchmarks/bench_commands.py [--iterations N]

Overhead is measured on the real stack (parser, registry, access check, services, reply building) plus the
rendering of the replies to each platform's text (the console's plain text, Telegram's HTML messages,
Discord's messages/embeds, with the renderers in adapters/), against the in-process simulator on loopback:
every HTTP exchange is timed inside the httpx transport, and overhead = command latency + rendering - time
spent in HTTP. The pacer and the simulator's rate limit are raised so they do not distort the figures.
Reports p50/p95/p99 and CPU-seconds (the machine is shared); prints figures, asserts nothing.
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
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import httpx

from fxbot.adapters.discord.render import render_reply as discord_render
from fxbot.adapters.telegram.render import render_reply as telegram_render
from fxbot.adapters.text_render import render_reply_text
from fxbot.app import App, build
from fxbot.backends.v1 import V1Backend
from fxbot.chat.types import ChatKind, ChatRef, ChatUser, IncomingCommand, Reply
from fxbot.config import DatabaseSettings, FxSocketSettings, Settings
from fxbot.domain.broker.factory import KeyKind
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


class TimingTransport(httpx.AsyncBaseTransport):
    """Adds up the wall time during which at least one HTTP exchange is in flight (concurrent ones overlap)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner
        self.spent = 0.0
        self._in_flight = 0
        self._since = 0.0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._in_flight == 0:
            self._since = time.perf_counter()
        self._in_flight += 1
        try:
            response = await self._inner.handle_async_request(request)
            await response.aread()
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self.spent += time.perf_counter() - self._since
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def timed_and_unpaced(app: App) -> TimingTransport:
    """Time the /v1 backend's HTTP exchanges (its shared client's transport wrapped in place) and lift its
    pacer (measurement only)."""
    backend = app.services.brokers._backends._backends[KeyKind.V1]  # type: ignore[attr-defined]
    assert isinstance(backend, V1Backend)
    backend.pacer.max_requests = 10**9
    http = backend._http
    timing = TimingTransport(http._transport)
    http._transport = timing
    return timing


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


RENDERERS: dict[str, Callable[[Reply], object]] = {
    "console": render_reply_text,
    "telegram": telegram_render,
    "discord": discord_render,
}


async def dispatcher_overhead(iterations: int, workdir: Path) -> None:
    config = SimConfig(port=0, seed=1, market_paused=True, rate_limit_per_s=10**9)
    async with await start_simulator(config) as sim:
        settings = Settings(
            fxsocket=FxSocketSettings(base_url=sim.base_url, stream_url=sim.stream_url),
            database=DatabaseSettings(path=workdir / "bench.db"),
            adapters={"console": {"api_key": sim.keys["trade"], "scope": "trade"}},
        )
        app = await build(settings, env={}, stdin=io.StringIO(""), stdout=io.StringIO())
        transport = timed_and_unpaced(app)
        await app.services.chat_settings.set_confirm("console:local", "never")
        chat = ChatRef(id="console:local", kind=ChatKind.PRIVATE, platform="console")
        user = ChatUser(id="console:local", display_name="bench", is_platform_admin=True)
        print(f"bot-side overhead per command incl. rendering ({iterations} runs each; API time excluded; ms)")
        print(f"{'command':36} {'API p50':>8} | {'console p50':>11} {'p95':>6} {'p99':>6} | "
              f"{'telegram p50':>12} {'p99':>6} | {'discord p50':>11} {'p99':>6}")
        cpu_start = time.process_time()
        for text in COMMANDS:
            apis: list[float] = []
            overheads: dict[str, list[float]] = {name: [] for name in RENDERERS}
            for _ in range(iterations):
                transport.spent = 0.0
                start = time.perf_counter()
                replies = await app.dispatcher.handle(
                    IncomingCommand(user=user, chat=chat, text=text, received_at=datetime.now(UTC))
                )
                handled = time.perf_counter() - start - transport.spent
                assert replies, text
                apis.append(transport.spent * 1000)
                for name, render in RENDERERS.items():
                    began = time.perf_counter()
                    for reply in replies:
                        render(reply)
                    overheads[name].append((handled + time.perf_counter() - began) * 1000)
            c, t, d = overheads["console"], overheads["telegram"], overheads["discord"]
            print(f"{text:36} {statistics.median(apis):8.2f} | {statistics.median(c):11.3f} {_pct(c, 0.95):6.3f} "
                  f"{_pct(c, 0.99):6.3f} | {statistics.median(t):12.3f} {_pct(t, 0.99):6.3f} | "
                  f"{statistics.median(d):11.3f} {_pct(d, 0.99):6.3f}")
        cpu = time.process_time() - cpu_start
        print(f"CPU-seconds for the {len(COMMANDS) * iterations} commands (bot and in-process simulator): {cpu:.2f}")
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
        timed_and_unpaced(app)
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
            f"p99 {_pct(latencies, 0.99):.2f} ms   max {max(latencies):.2f} ms   "
            f"mean {statistics.fmean(latencies):.2f} ms"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        await dispatcher_overhead(args.iterations, Path(tmp))
        await console_buy_latency(args.iterations, Path(tmp))
    print(f"\npython {sys.version.split()[0]}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
