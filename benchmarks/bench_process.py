"""Benchmark: the whole bot process as it runs — `fxbot sim` at increasing tick rates feeding `fxbot console`
with 100k and 1M price rules in its database; the bot's CPU and RSS per quotes/s evaluated.

Run: .venv/bin/python benchmarks/bench_process.py [--rules 100000,1000000] [--scenarios near,storm]
     [--ticks-ms 250,50,10,5,2,1] [--window-s 10]

For each rule count and scenario: a database is prepared (`fxbot console` links the simulator's trade key and
binds the console chat once, then the realistic rule mix of benchmarks/pipeline_workload.py — sides, modes, the
five conditions, expiries — is written for that chat's account over the 13 real symbols), then the bot is started
as a user starts it (`fxbot console --config FILE`, stdin held open, stdout to /dev/null, the ops endpoint on)
and `fxbot sim` is (re)started on the same port at each tick interval (every tick moves all 13 symbols: one
quote frame each). Over each window the bot's CPU-seconds (utime+stime from /proc), its RSS, and the quotes it
evaluated and alerts it fired (its own /metrics) are read; the simulator's CPU too, as both share the machine.
The machine is shared: CPU-seconds per quote is the figure to compare, and the load average is printed.
The simulator's tick loop sleeps between ticks, so it cannot send more than about 1,000 ticks/s (13k frames/s)
and less on a loaded machine; where the bot is not saturated, 1 / (bot CPU-seconds per quote) is how many
quotes/s one core would sustain (the bot evaluates quotes on one event loop).

Scenarios (where the rules sit against the prices the simulator quotes when it starts):
- `near`: users set alerts near the current price: the mix's levels (±2 %) and remembered prices are moved
  from the workload's reference prices to the simulator's start prices, so the first quotes fire few rules.
- `storm`: the worst case of a start: the same levels, but each rule remembers a price 2 % below the start
  price (the market rose 2 % while the bot was down), so the first quote of each symbol crosses a large
  share of the book at once (every crossing in between fires).
- `reference`: the workload as written (levels around its reference prices, which the simulator is not at,
  and its dates, so that its 10 % with an expiry have expired: the first expiry sweep reports them all).
In `near` and `storm` the rules are created at the start of the run and expire 30 s to 7 days later.
Start-up figures: RSS once the ops endpoint answers (imports done; the rules load after it starts), at the
first quote evaluated and once the start's firings are written (steady), the peak (VmHWM), the wall-clock and CPU
time to the first quote, and the longest stretch /healthz went unanswered from the ops endpoint's start
until the start's firings are written (polled every 50 ms, a gap is the time between two answers).
Run from another checkout (side-by-side comparisons), the bot and the simulator run that checkout's code.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline_workload import T0, make_rules

from fxbot.alerts.repository import AlertRepository
from fxbot.alerts.rules import PriceRule
from fxbot.domain.instruments import INSTRUMENTS
from fxbot.simulator.accounts_config import DEFAULT_ACCOUNTS
from fxbot.simulator.market import Market
from fxbot.storage import Storage

ROOT = Path(__file__).resolve().parents[1]
# this checkout's fxbot, in the bot and the simulator too (PYTHONPATH comes before the installed package)
FXBOT = [sys.executable, "-c", "import sys; from fxbot.cli import main; sys.exit(main())"]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))}
SEED = 7
SCENARIOS = ("near", "storm", "reference")
STORM_DROP = 0.02
KEY = "sk_test_benchProcessKey000000000000"
CHAT = "console:local"
TICK = os.sysconf("SC_CLK_TCK")
SYMBOLS = len(INSTRUMENTS)  # every simulator tick moves each of them: one quote frame each


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def write_config(workdir: Path, sim_port: int, ops_port: int) -> Path:
    config = workdir / "config.yaml"
    config.write_text(
        f"fxsocket:\n  base_url: http://127.0.0.1:{sim_port}\n  stream_url: ws://127.0.0.1:{sim_port}/v1/stream\n"
        f"database:\n  path: {workdir / 'fxbot.db'}\n"
        f"ops:\n  enabled: true\n  host: 127.0.0.1\n  port: {ops_port}\n"
        f"logging:\n  level: WARNING\n"
        f"console:\n  enabled: true\n  api_key: {KEY}\n  scope: trade\n  echo: false\n"
        f"  images_dir: {workdir / 'charts'}\n  log_file: {workdir / 'console.log'}\n",
        encoding="utf-8")
    return config


class Sim:
    """`fxbot sim` on a fixed port, restarted at each tick interval (the bot's stream reconnects)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, tick_ms: int) -> None:
        self.stop()
        self.proc = subprocess.Popen(
            [*FXBOT, "sim", "--port", str(self.port), "--seed", str(SEED), "--tick-interval-ms", str(tick_ms),
             "--key", f"trade={KEY}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
        wait_for(lambda: _answers(f"http://127.0.0.1:{self.port}/v1/accounts"), 30, "the simulator")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(30)
            self.proc = None


def _answers(url: str, timeout_s: float = 1.0) -> bool:
    try:
        httpx.get(url, timeout=timeout_s)
    except httpx.HTTPError:
        return False
    return True


def wait_for(test: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if test():
            return
        time.sleep(0.2)
    raise SystemExit(f"timed out waiting for {what}")


def cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """The process's resident memory now (VmRSS) or at its peak so far (VmHWM), in MB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Watch:
    """Samples the bot's RSS and polls its /healthz (every 50 ms) in a thread: the peak RSS, and the longest
    time between two answers (a request waits up to 10 s), from `start()` to `stop()`."""

    def __init__(self, pid: int, ops_port: int) -> None:
        self.pid = pid
        self.url = f"http://127.0.0.1:{ops_port}/healthz"
        self.longest_gap = 0.0
        self.polls = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        last = time.monotonic()
        with httpx.Client(timeout=10.0) as client:
            while not self._stop.is_set():
                try:
                    client.get(self.url)
                except httpx.HTTPError:
                    pass
                else:
                    now = time.monotonic()
                    self.longest_gap = max(self.longest_gap, now - last)
                    last = now
                    self.polls += 1
                self._stop.wait(0.05)


def counters(ops_port: int, timeout_s: float = 30.0) -> dict[str, float]:
    """The bot's quotes evaluated and alerts fired so far (from its /metrics); -1 while it does not answer (the
    cold load of a million rules holds its event loop for a while)."""
    try:
        text = httpx.get(f"http://127.0.0.1:{ops_port}/metrics", timeout=timeout_s).text
    except httpx.HTTPError:
        return {"quotes": -1.0, "fired": -1.0}
    found = {"quotes": 0.0, "fired": 0.0}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "fxbot_quotes_evaluated_total":
                found["quotes"] += sample.value
            elif sample.name == "fxbot_alerts_fired_total":
                found["fired"] += sample.value
    return found


def start_shift() -> dict[str, int]:
    """Per symbol, the simulator's start bid (seed SEED) minus the workload's reference bid, in points."""
    market = Market(SEED, time_now())
    return {symbol: market.price(symbol).bid - spec.to_points(spec.reference_price)
            for symbol, spec in INSTRUMENTS.items()}


def time_now() -> datetime:
    return datetime.now(UTC)


def rules_for(n: int, account_id: str, scenario: str = "near") -> Iterator[PriceRule]:
    """The workload's rules for the console chat's account, placed as the scenario says (module docstring)."""
    shift = start_shift() if scenario != "reference" else {}
    now = time_now()
    for rule in make_rules(n, seed=n):
        rule = dataclasses.replace(rule, chat_id=CHAT, owner_id=CHAT, account_id=account_id)
        if scenario == "reference":
            yield rule
            continue
        delta = shift[rule.symbol]
        remembered = (rule.state.last_points or 0) + delta
        if scenario == "storm":
            remembered = round(remembered * (1 - STORM_DROP))
        # created now, expiring 30 s to 7 days from now (the workload's dates are in the past by now: its 10 %
        # with an expiry would all expire at the start, a storm of their own)
        expires = None if rule.expires_at is None else now + (rule.expires_at - T0)
        yield dataclasses.replace(rule, level_points=rule.level_points + delta, created_at=now, expires_at=expires,
                                  state=dataclasses.replace(rule.state, last_points=remembered))


async def add_rules(db_path: Path, n: int, account_id: str, scenario: str = "near") -> None:
    storage = await Storage.open(db_path, {})  # the master key file the bot made beside the database
    repo = AlertRepository(storage.db)
    batch: list[PriceRule] = []
    for rule in rules_for(n, account_id, scenario):
        batch.append(rule)
        if len(batch) == 100_000:
            await repo.add_many(batch)
            batch = []
    if batch:
        await repo.add_many(batch)
    await storage.close()


def start_bot(config: Path, workdir: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([*FXBOT, "console", "--config", str(config)], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=open(workdir / "bot.err", "wb"), cwd=workdir, env=ENV)


def prepare(workdir: Path, config: Path, sim: Sim, n: int, scenario: str) -> None:
    """The key linked and the console chat bound (a first start, stdin at its end), then the rules written."""
    sim.start(250)
    subprocess.run([*FXBOT, "console", "--config", str(config)], input=b"/account\n", cwd=workdir,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120, check=True, env=ENV)
    started = time.perf_counter()
    if n:
        asyncio.run(add_rules(workdir / "fxbot.db", n, DEFAULT_ACCOUNTS[0].id, scenario))
    print(f"  {n:,} rules written in {time.perf_counter() - started:.1f} s")


def window(tick_ms: int, bot_pid: int, sim: Sim, ops_port: int, window_s: float) -> str:
    """One line of figures: the simulator restarted at `tick_ms`, then `window_s` of the bot's work."""
    sim.start(tick_ms)
    assert sim.proc is not None
    before = counters(ops_port)["quotes"]
    wait_for(lambda: counters(ops_port)["quotes"] > before + SYMBOLS, 120, "the bot after the simulator restart")
    time.sleep(1.0)  # let the rate settle
    bot0, sim0, seen0, t0 = cpu_s(bot_pid), cpu_s(sim.proc.pid), counters(ops_port), time.perf_counter()
    time.sleep(window_s)
    bot1, sim1, seen1, t1 = cpu_s(bot_pid), cpu_s(sim.proc.pid), counters(ops_port), time.perf_counter()
    elapsed = t1 - t0
    quotes = seen1["quotes"] - seen0["quotes"]
    per_quote = (bot1 - bot0) / quotes * 1e6 if quotes else float("nan")
    return (f"  {tick_ms:>4}ms {SYMBOLS * 1000 / tick_ms:10.0f} {quotes / elapsed:9.0f} "
            f"{(seen1['fired'] - seen0['fired']) / elapsed:8.1f} {(bot1 - bot0) / elapsed * 100:8.0f}% "
            f"{per_quote:16.1f} {rss_mb(bot_pid):10.0f} {(sim1 - sim0) / elapsed * 100:8.0f}% "
            f"{os.getloadavg()[0]:5.2f}")


def settled(pid: int, ops_port: int, timeout_s: float, busy: float = 0.3) -> dict[str, float]:
    """Wait until the bot's CPU over 2 s falls under `busy` of a core (the start's firings are written; what the
    simulator's moves fire afterwards costs far less); its counters then."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        before = cpu_s(pid)
        time.sleep(2.0)
        if cpu_s(pid) - before < 2.0 * busy:
            break
    return counters(ops_port)


def measure(n: int, scenario: str, ticks_ms: list[int], window_s: float, settle_s: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        sim = Sim(free_port())
        ops_port = free_port()
        config = write_config(workdir, sim.port, ops_port)
        try:
            prepare(workdir, config, sim, n, scenario)
            sim.start(250)  # its start prices again (they moved while the rules were written)
            started = time.perf_counter()
            bot = start_bot(config, workdir)
            try:
                wait_for(lambda: _answers(f"http://127.0.0.1:{ops_port}/healthz"), 600, "the bot's ops endpoint")
                watch = Watch(bot.pid, ops_port)
                watch.start()
                up_s, up_rss, up_peak, up_cpu = (time.perf_counter() - started, rss_mb(bot.pid),
                                                 rss_mb(bot.pid, "VmHWM"), cpu_s(bot.pid))
                print(f"  ops endpoint up (imports done, rules load next) after {up_s:.1f} s, {up_cpu:.1f} CPU-s: "
                      f"RSS {up_rss:.1f} MB, peak so far {up_peak:.1f} MB")
                if n == 0:  # no rule: nothing is subscribed; the idle process
                    time.sleep(settle_s)
                    watch.stop()
                    print(f"  idle (key linked, stream connected, no rule): RSS {rss_mb(bot.pid):.1f} MB, "
                          f"peak {rss_mb(bot.pid, 'VmHWM'):.1f} MB")
                    return
                wait_for(lambda: counters(ops_port)["quotes"] > 0, 900, "the first quotes evaluated")
                first_s, first_cpu = time.perf_counter() - started, cpu_s(bot.pid)
                print(f"  first quote evaluated after {first_s:.1f} s, {first_cpu:.1f} CPU-s: "
                      f"RSS {rss_mb(bot.pid):.1f} MB, peak so far {rss_mb(bot.pid, 'VmHWM'):.1f} MB")
                done = settled(bot.pid, ops_port, timeout_s=900)
                storm_s, storm_cpu = time.perf_counter() - started - first_s, cpu_s(bot.pid) - first_cpu
                time.sleep(settle_s)
                watch.stop()
                print(f"  start's firings written {storm_s:.1f} s after the first quote ({storm_cpu:.1f} CPU-s): "
                      f"{done['fired']:,.0f} fired; steady RSS {rss_mb(bot.pid):.1f} MB, peak (VmHWM) "
                      f"{rss_mb(bot.pid, 'VmHWM'):.1f} MB; longest /healthz gap {watch.longest_gap:.2f} s "
                      f"({watch.polls} answers); load {os.getloadavg()[0]:.2f}")
                if not ticks_ms:
                    return
                print(f"  {'tick':>6} {'sent max/s':>10} {'quotes/s':>9} {'fired/s':>8} {'bot CPU %':>9} "
                      f"{'bot CPU-µs/quote':>16} {'bot RSS MB':>10} {'sim CPU %':>9} {'load':>5}")
                for tick in ticks_ms:
                    print(window(tick, bot.pid, sim, ops_port, window_s))
                print(f"  peak RSS of the bot: {rss_mb(bot.pid, 'VmHWM'):.0f} MB")
            finally:
                bot.stdin.close()  # type: ignore[union-attr]
                try:
                    bot.wait(60)
                except subprocess.TimeoutExpired:
                    bot.kill()
        finally:
            sim.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", default="0,100000,1000000", help="rule counts (0: the idle process)")
    parser.add_argument("--scenarios", default="near,storm", help=f"where the rules sit: {', '.join(SCENARIOS)}")
    parser.add_argument("--ticks-ms", default="250,50,10,5,2,1", help="tick intervals to measure ('': none)")
    parser.add_argument("--window-s", type=float, default=10.0)
    parser.add_argument("--settle-s", type=float, default=10.0, help="wait after the start's firings are written")
    args = parser.parse_args()
    ticks = [int(t) for t in args.ticks_ms.split(",") if t]
    scenarios = [s for s in args.scenarios.split(",") if s]
    unknown = set(scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    for n in (int(r) for r in args.rules.split(",")):
        for scenario in scenarios if n else ["idle"]:
            print(f"{n:,} price rules, {scenario} (the realistic mix, 13 symbols, one chat's account)")
            measure(n, scenario, ticks, args.window_s, args.settle_s)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
