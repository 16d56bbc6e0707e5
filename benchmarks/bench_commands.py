"""Benchmark: bot-side overhead per command, rendering included (API time excluded), and end-to-end /buy latency
through the console.

Run: .venv/bin/python benchmarks/bench_commands.py [--iterations N]

Overhead is measured on the real stack (parser, registry, access check, services, reply building) plus the
rendering of the replies to each platform's text (the console's plain text, Telegram's HTML messages,
Discord's messages/embeds, with the renderers in adapters/), against the simulator on loopback, run in a
child process of its own as the real API is (`--sim-in-process`: in this process, where its server work lands
in the bot's measured time): every HTTP exchange is timed inside the httpx transport, and overhead = command
latency + rendering - time spent in HTTP. The pacer and the simulator's rate limit are raised so they do not
distort the figures. CPU/cmd is the bot process's CPU time per command (its database thread included).
Every command of the catalog is measured (a read-only or repeatable form of each), with the number of SQL
statements it sends through the database gateway (each one a round trip to the database's thread or server).
Reports p50/p95/p99, the budget each command is held to (1 ms without an API call, 2 ms with one) and
CPU-seconds (the machine is shared). Every command is run in several rounds (each round runs every command),
so the p99 of the quietest round can be told from one disturbed by other work on the machine; the garbage
collector's pauses during the run are reported too; like `fxbot run`/`console`, what start-up made is frozen out of
the collector's full passes first (`--no-gc-freeze`: not). Prints figures, asserts nothing.
Runs the fxbot of the tree it sits in (its own tree first on sys.path), so a copy of an older tree measures that.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this tree's fxbot, not an installed one

from fxbot.adapters.discord.render import render_reply as discord_render
from fxbot.adapters.telegram.render import render_reply as telegram_render
from fxbot.adapters.text_render import render_reply_text
from fxbot.app import build
from fxbot.chat.types import ButtonPress, ChatKind, ChatRef, ChatUser, IncomingCommand, Reply, ReplyKind
from fxbot.config import DatabaseSettings, FxSocketSettings, Settings
from fxbot.simulator.config import SimConfig
from fxbot.simulator.runner import start_simulator

sys.path.insert(0, str(Path(__file__).resolve().parent))  # its sibling modules
from command_timing import (
    GcPauses,
    Samples,
    StatementCounter,
    Trace,
    TraceEvent,
    pct,
    print_slow_runs,
    timed_and_unpaced,
)
from simulator_child import simulator

COMMANDS = [
    "/help",
    "/help buy",
    "/start",
    "/buy EURUSDD 0.1",  # a usage error: never reaches the API
    "/quote EURUSD",
    "/quote EURUSD GBPUSD USDJPY XAUUSD",
    "/candles EURUSD",
    "/history",
    "/account",
    "/accounts",
    "/positions",
    "/orders",
    "/alerts",
    "/alert EURUSD above 9.5",
    "/notify",
    "/keys",
    "/members",
    "/audit",
    "/settings",
    "/guard",
    "/watchdog",
    "/webhook list",
    "/digest",
    "/trail",
    "/status",
    "/modify 999999 sl=1.0",  # an unknown position: the API answers "not found"
    "/buy EURUSD 0.01",
    "/export history week",
    "/pnl",  # draws the equity curve as a PNG: outside the text budget, shown for scale
    "/chart EURUSD",  # draws a PNG: outside the text budget, shown for scale
]
IMAGE_COMMANDS = ("/pnl", "/chart")
"""Commands that draw a picture (matplotlib, in a worker thread): measured with at most IMAGE_RUNS runs."""
IMAGE_RUNS = 20



RENDERERS: dict[str, Callable[[Reply], object]] = {
    "console": render_reply_text,
    "telegram": telegram_render,
    "discord": discord_render,
}



UNTIMED_AFTER = {"/alert EURUSD above 9.5": "/alert del all"}
"""Run (not timed) after a command so that repeating it stays the same case (a chat holds at most 200 alerts)."""
UNTIMED_AFTER_BATCH = {"/buy EURUSD 0.01": "/close all"}
"""Run and confirmed (not timed) after a command's runs of a round, so the positions /positions and /account list
stay a handful instead of growing by a hundred a round."""



async def dispatcher_overhead(iterations: int, rounds: int, workdir: Path, only: list[str],
                              sim_in_process: bool, *, skip_pictures: bool = False, gc_freeze: bool = True,
                              trace_over: float = 0.0) -> None:
    async with simulator(sim_in_process) as sim:
        settings = Settings(
            fxsocket=FxSocketSettings(base_url=sim.base_url, stream_url=sim.stream_url),
            database=DatabaseSettings(path=workdir / "bench.db"),
            adapters={"console": {"api_key": sim.trade_key, "scope": "trade"}},
        )
        app = await build(settings, env={}, stdin=io.StringIO(""), stdout=io.StringIO())
        trace = Trace(bool(trace_over))
        transport = timed_and_unpaced(app, trace)
        statements = StatementCounter(app.services.storage.db, trace)
        slow_runs: list[tuple[str, float, float, list[TraceEvent]]] = []
        await app.services.chat_settings.set_confirm("console:local", "never")
        chat = ChatRef(id="console:local", kind=ChatKind.PRIVATE, platform="console")
        user = ChatUser(id="console:local", display_name="bench", is_platform_admin=True)

        async def say(text: str) -> list[Reply]:
            return await app.dispatcher.handle(
                IncomingCommand(user=user, chat=chat, text=text, received_at=datetime.now(UTC)))

        commands = [c for c in COMMANDS if (not only or any(c.startswith(o) for o in only))
                    and not (skip_pictures and c.startswith(IMAGE_COMMANDS))]
        samples = {text: Samples() for text in commands}
        if gc_freeze:  # as `fxbot run` / `fxbot console` do once the app is built (fxbot/cli.py)
            gc.collect()
            gc.freeze()  # what start-up made is never scanned again by the collector's full passes
        tracked_at_start = len(gc.get_objects())
        gc_pauses = GcPauses()
        loads = [os.getloadavg()[0]]
        cpu_start = time.process_time()
        for _ in range(rounds):  # every command once per round, so each round sees the machine at another time
            for text in commands:
                sample = samples[text]
                overheads: dict[str, list[float]] = {name: [] for name in RENDERERS}
                runs = min(iterations, IMAGE_RUNS) if text.startswith(IMAGE_COMMANDS) else iterations
                cpu_began = time.process_time()
                for _ in range(runs):
                    transport.spent = 0.0
                    statements.count = 0
                    transport.requests = 0
                    trace.events.clear()
                    start = time.perf_counter()
                    replies = await say(text)
                    ended = time.perf_counter()
                    handled = ended - start - transport.spent
                    if trace_over and handled * 1000 > trace_over:
                        slow_runs.append((text, start, handled * 1000, trace.during(start - 0.005, ended)))
                    sample.queries.append(statements.count)
                    sample.requests.append(transport.requests)
                    assert replies, text
                    sample.apis.append(transport.spent * 1000)
                    for name, render in RENDERERS.items():
                        began = time.perf_counter()
                        for reply in replies:
                            render(reply)
                        overheads[name].append((handled + time.perf_counter() - began) * 1000)
                    sample.last = replies
                    if text in UNTIMED_AFTER:
                        await say(UNTIMED_AFTER[text])
                sample.cpu_s += time.process_time() - cpu_began
                if text in UNTIMED_AFTER_BATCH:
                    for reply in await say(UNTIMED_AFTER_BATCH[text]):
                        for button in reply.buttons[:1]:  # the confirmation card's Confirm
                            await app.dispatcher.press(ButtonPress(user=user, chat=chat, action=button.action))
                sample.runs += runs
                sample.rounds.append(overheads)
            loads.append(os.getloadavg()[0])
        cpu = time.process_time() - cpu_start
        gc.callbacks.remove(gc_pauses._callback)

        where = "in this process" if sim_in_process else "in its own process"
        print(f"bot-side overhead per command incl. rendering ({rounds} rounds of {iterations} runs each; API time "
              f"excluded; ms; simulator {where}; load average {min(loads):.2f}-{max(loads):.2f})")
        print("p99 all: over every run; p99 best: the quietest round's; the verdict is on the worst platform's "
              "quietest-round p99")
        print(f"{'command':38} {'SQL':>3} {'HTTP':>4} {'API p50':>8} {'CPU/cmd':>7} | {'console p50':>11} {'p95':>6} "
              f"{'p99 all':>7} {'p99 best':>8} | {'telegram p99 best':>17} | {'discord p99 best':>16} | budget")
        for text in commands:
            sample = samples[text]
            c = sample.all_of("console")
            budget = 2.0 if statistics.median(sample.apis) > 0 else 1.0
            best = {name: sample.p99_quietest(name) for name in RENDERERS}
            verdict = f"{budget:.0f} ms {'ok' if max(best.values()) <= budget else 'OVER'}"
            if text.startswith(IMAGE_COMMANDS):
                verdict = f"picture, {sample.runs} runs"
            if any(r.kind is ReplyKind.ERROR for r in sample.last):
                verdict += f" (answer: {sample.last[0].plain_text[:40]!r})"
            print(f"{text:38} {statistics.median(sample.queries):3.0f} {statistics.median(sample.requests):4.0f} "
                  f"{statistics.median(sample.apis):8.2f} "
                  f"{sample.cpu_s / sample.runs * 1000:7.2f} | {statistics.median(c):11.3f} {pct(c, 0.95):6.3f} "
                  f"{pct(c, 0.99):7.3f} {best['console']:8.3f} | {best['telegram']:17.3f} | "
                  f"{best['discord']:16.3f} | {verdict}")
        print(f"garbage collections while measuring: {gc_pauses.summary()}; objects tracked at start "
              f"{tracked_at_start:,}" + (" (start-up's frozen, as the CLI does)" if gc_freeze else ""))
        print(f"CPU-seconds for the commands ({'bot and simulator' if sim_in_process else 'bot process'}): {cpu:.2f}")
        if trace_over:
            print_slow_runs(slow_runs, trace_over)
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
            f"  p50 {statistics.median(latencies):.2f} ms   p95 {pct(latencies, 0.95):.2f} ms   "
            f"p99 {pct(latencies, 0.99):.2f} ms   max {max(latencies):.2f} ms   "
            f"mean {statistics.fmean(latencies):.2f} ms"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=100, help="runs of each command per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over every command")
    parser.add_argument("--only", nargs="*", default=[], help="measure only the commands starting with these")
    parser.add_argument("--skip-console", action="store_true", help="skip the end-to-end console /buy run")
    parser.add_argument("--skip-pictures", action="store_true", help="skip the commands that draw a picture")
    parser.add_argument("--no-gc-freeze", dest="gc_freeze", action="store_false",
                        help="leave what start-up made to the collector (the CLI freezes it once the app is built)")
    parser.add_argument("--sim-in-process", action="store_true",
                        help="run the simulator in the bot's process (its work then counts as the bot's)")
    parser.add_argument("--trace", type=float, default=0.0, metavar="MS",
                        help="list the statements and HTTP exchanges of every run whose overhead passes MS ms")
    args = parser.parse_args()
    print(f"load average at start {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        await dispatcher_overhead(args.iterations, args.rounds, Path(tmp), args.only, args.sim_in_process,
                                  skip_pictures=args.skip_pictures, gc_freeze=args.gc_freeze,
                                  trace_over=args.trace)
        if not args.skip_console:
            await console_buy_latency(args.iterations, Path(tmp))
    print(f"\npython {sys.version.split()[0]}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
