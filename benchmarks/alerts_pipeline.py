"""Benchmark of the alert pipeline end to end: stream frame text -> decode -> engine -> fire decision -> SQLite.

Run: `.venv/bin/python benchmarks/alerts_pipeline.py [--sizes 100000,1000000] [--walks bench,spread]`.
For each size and walk the rules (benchmarks/pipeline_workload.py: the realistic mix over the 13
real symbols) are written to a temporary SQLite file in one subprocess and measured in a fresh one,
loaded the way the bot loads them. Phases, on one engine along one continuing walk:

- paced: frames due at 10k/s; latency from a frame's due time to the engine's decision (decode
  included, queueing included): p50/p99/max. Once at the start (the walk crosses fresh levels) and
  once after the flat-out phases.
- end to end, flat out: `decode_frame(text)` then `engine.on_quote(...)`, with the pump's clock call
  and its expiry sweep (every 10k frames); frames/s by the wall clock and per CPU-second.
- engine only (secondary): the same engine on already decoded quotes.
- naive (sizes <= 100k): a fair scan on the same decoded quotes (rules in per-symbol lists, the
  price conversion done once per quote and side), in the same process; the ratio is engine only / naive.
- persisted: frames through the engine and every firing through the stream session's writer
  (`FiringWriter` over `AlertService.deliver`: outbox rows + fire states, one transaction per burst,
  in the same SQLite file); firings persisted per second.

Like `fxbot run`, the measured process freezes its start-up objects (gc.freeze) once the rules are
loaded. Prints figures and the machine's load average; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline_workload import ACCOUNT, SPECS, FrameClock, Walk, make_rules, ref_points

from fxbot.alerts.engine import AlertEngine
from fxbot.alerts.firing import Firing
from fxbot.alerts.price_table import ABOVE, BELOW, CONDITION_CODE, CROSS_DOWN, CROSS_UP, SIDE_CODE
from fxbot.alerts.repository import AlertRepository
from fxbot.alerts.rules import PriceSide
from fxbot.fxsocket.events import QuoteEvent
from fxbot.fxsocket.frames import decode_frame
from fxbot.notify.outbox import Outbox
from fxbot.notify.preferences import NotificationPreferences
from fxbot.services.alerts import AlertService
from fxbot.storage import Storage
from fxbot.stream.firing_writer import FiringWriter

EXPIRY_EVERY = 10_000


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 1e6


async def prepare(n: int, path: Path) -> None:
    storage = await Storage.open(path, {})
    repo = AlertRepository(storage.db)
    for chunk in range(0, n, 100_000):
        await repo.add_many(make_rules(min(100_000, n - chunk), seed=chunk + 1))
    await storage.close()


def decided(engine: AlertEngine, clock: FrameClock) -> Callable[[str], int]:
    """frame text -> firings decided (what the stream session does per frame, before its I/O)."""
    on_quote = engine.on_quote
    count = 0

    def one(frame: str) -> int:
        nonlocal count
        count += 1
        at = clock()
        if count % EXPIRY_EVERY == 0:
            engine.expire_due(at)
        event = decode_frame(frame)
        if not isinstance(event, QuoteEvent):
            return 0
        q = event.quote
        return len(on_quote(ACCOUNT, q.symbol, q.bid, q.ask, at))

    return one


def paced(step: Callable[[str], int], frames: list[str], rate: float = 10_000) -> dict[str, float]:
    """Frames due at `rate`/s (busy-waiting); due -> decision latencies in ms."""
    lat = []
    fired = 0
    interval = 1 / rate
    clock = time.perf_counter
    start = clock()
    for i, frame in enumerate(frames):
        due = start + i * interval
        while clock() < due:
            pass
        fired += step(frame)
        lat.append(clock() - due)
    lat.sort()
    return {"p50_ms": lat[len(lat) // 2] * 1e3, "p99_ms": lat[int(len(lat) * 0.99)] * 1e3, "max_ms": lat[-1] * 1e3,
            "fired": fired}


def flat_out(step: Callable[[str], int], frames: list[str]) -> dict[str, float]:
    fired = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for frame in frames:
        fired += step(frame)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"per_s": len(frames) / wall, "per_cpu_s": len(frames) / cpu, "fired": fired}


def engine_only(engine: AlertEngine, quotes: list[tuple[str, float, float]], clock: FrameClock) -> dict[str, float]:
    on_quote = engine.on_quote
    ats = [clock() for _ in quotes]
    fired = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for (sym, bid, ask), at in zip(quotes, ats, strict=True):
        fired += len(on_quote(ACCOUNT, sym, bid, ask, at))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"per_s": len(quotes) / wall, "per_cpu_s": len(quotes) / cpu, "fired": fired}


def naive_rate(n: int, quotes: list[tuple[str, float, float]], budget_s: float) -> float:
    """Quotes/s of a fair scan: every rule of the quote's symbol judged against (prev, cur) of its side."""
    by_symbol: dict[str, list[tuple[int, int, int]]] = {spec.symbol: [] for spec in SPECS}
    for rule in make_rules(n, seed=1):
        by_symbol[rule.symbol].append((SIDE_CODE[rule.side], rule.level_points, CONDITION_CODE[rule.condition]))
    scales = {spec.symbol: 10.0**spec.digits for spec in SPECS}
    last = {spec.symbol: tuple(ref_points(spec, side) for side in PriceSide) for spec in SPECS}
    done = hits = 0
    start = time.perf_counter()
    for sym, bid, ask in quotes:
        scale = scales[sym]
        cur = (round(bid * scale), round(ask * scale), round((bid + ask) * scale / 2))
        prev = last[sym]
        for side, level, cond in by_symbol[sym]:
            c, p = cur[side], prev[side]
            if cond == ABOVE:
                hit = c >= level
            elif cond == BELOW:
                hit = c <= level
            elif cond == CROSS_UP:
                hit = p < level <= c
            elif cond == CROSS_DOWN:
                hit = c <= level < p
            else:
                hit = p < level <= c or c <= level < p
            hits += hit
        last[sym] = cur
        done += 1
        if time.perf_counter() - start > budget_s:
            break
    return done / (time.perf_counter() - start)


async def persisted(engine: AlertEngine, storage: Storage, frames: list[str], clock: FrameClock,
                    budget_s: float) -> dict[str, float]:
    """Frames through the engine and the firings through the stream session's writer (`FiringWriter` over
    `AlertService.deliver`: one transaction per burst of outbox rows + fire states), read flat out."""
    service = AlertService(storage=storage, brokers=cast(Any, None), outbox=Outbox(storage.db),
                           preferences=NotificationPreferences(storage.db), clock=clock, engine=engine)
    batches: list[int] = []

    async def deliver(batch: list[Firing]) -> int:
        batches.append(len(batch))
        return await service.deliver(batch)

    writer = FiringWriter(deliver)
    task = asyncio.create_task(writer.run())
    done = fired = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for frame in frames:
        at = clock()
        event = decode_frame(frame)
        if isinstance(event, QuoteEvent):
            q = event.quote
            firings = engine.on_quote(ACCOUNT, q.symbol, q.bid, q.ask, at)
            if firings:
                await writer.submit(firings)
                fired += len(firings)
        done += 1
        if done % 100 == 0:
            await asyncio.sleep(0)  # the socket's reads suspend now and then: the writer runs meanwhile
        if time.perf_counter() - wall > budget_s:
            break
    await writer.drain()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    task.cancel()
    stored = await storage.db.fetch_value("SELECT COUNT(*) FROM notify_outbox")
    return {"frames": done, "fired": fired, "stored": int(stored), "frames_per_s": done / wall,
            "firings_per_s": fired / wall, "firings_per_cpu_s": fired / cpu,
            "transactions": len(batches), "largest_batch": max(batches, default=0)}


async def run(n: int, path: Path, walk_kind: str, frames_n: int) -> dict[str, Any]:
    base_rss = rss_mb()
    storage = await Storage.open(path, {})
    try:
        return await measure(n, storage, walk_kind, frames_n, base_rss)
    finally:
        await storage.close()


async def measure(n: int, storage: Storage, walk_kind: str, frames_n: int, base_rss: float) -> dict[str, Any]:
    engine = AlertEngine()
    start = time.perf_counter()
    loaded = await AlertRepository(storage.db).load_into(engine)
    out: dict[str, Any] = {"rules": loaded, "walk": walk_kind, "load_s": time.perf_counter() - start,
                           "load_avg_start": os.getloadavg()[0],
                           "frames": frames_n}
    clock = FrameClock()
    step = decided(engine, clock)
    start = time.perf_counter()
    for spec in SPECS:  # the first quote of each symbol syncs the rules loaded without a price
        engine.on_quote(ACCOUNT, spec.symbol, spec.reference_price,
                        spec.reference_price + spec.typical_spread_points / 10**spec.digits, clock())
    out["sync_s"] = time.perf_counter() - start
    gc.collect()
    gc.freeze()  # as `fxbot run` does once started: start-up objects stay out of the collector's full passes
    out["rss_loaded_mb"], out["rss_base_mb"] = rss_mb(), base_rss
    walk = Walk(walk_kind, seed=7)
    out["paced_start"] = paced(step, walk.frames(20_000))
    out["e2e"] = flat_out(step, walk.frames(frames_n))
    decoded = []
    for frame in walk.frames(frames_n):
        event = decode_frame(frame)
        assert isinstance(event, QuoteEvent)
        decoded.append((event.quote.symbol, event.quote.bid, event.quote.ask))
    out["engine"] = engine_only(engine, decoded, clock)
    if n <= 100_000:
        out["naive_per_s"] = naive_rate(n, decoded[:5_000], 3.0)
    del decoded
    gc.collect()  # the benchmark's own leftovers (decoded quotes, the naive scan's rules): not the bot's
    out["paced_later"] = paced(step, walk.frames(20_000))
    out["persisted"] = await persisted(engine, storage, walk.frames(50_000), clock, 15.0)
    out["rss_end_mb"] = rss_mb()
    out["load_avg_end"] = os.getloadavg()[0]
    return out


def report(n: int, r: dict[str, Any]) -> str:
    e2e, eng, ps, pl, per = r["e2e"], r["engine"], r["paced_start"], r["paced_later"], r["persisted"]
    lines = [
        f"{n:>9,} rules, walk {r['walk']!r} (load avg {r['load_avg_start']:.2f} -> {r['load_avg_end']:.2f}): "
        f"cold load {r['load_s']:.2f} s + sync {r['sync_s']:.2f} s, RSS {r['rss_loaded_mb']:.0f} MB "
        f"(base {r['rss_base_mb']:.0f} MB), {r['rss_end_mb']:.0f} MB at the end",
        f"  end to end: {e2e['per_s']:,.0f} frames/s wall, {e2e['per_cpu_s']:,.0f} per CPU-s "
        f"({e2e['fired'] / r['frames']:.2f} firings/frame)",
        f"  paced 10k/s at start: p50 {ps['p50_ms']:.3f} ms p99 {ps['p99_ms']:.3f} ms max {ps['max_ms']:.2f} ms "
        f"({ps['fired']} fired); later: p50 {pl['p50_ms']:.3f} p99 {pl['p99_ms']:.3f} max {pl['max_ms']:.2f} ms "
        f"({pl['fired']} fired)",
        f"  engine only: {eng['per_s']:,.0f} quotes/s wall, {eng['per_cpu_s']:,.0f} per CPU-s",
        f"  persisted: {per['firings_per_s']:,.0f} firings/s wall ({per['firings_per_cpu_s']:,.0f} per CPU-s), "
        f"{per['frames_per_s']:,.0f} frames/s, {per['fired']:,} fired, {per['stored']:,} outbox rows, "
        f"{per['transactions']:,} transactions (largest {per['largest_batch']:,})",
    ]
    if "naive_per_s" in r:
        ratio = eng["per_s"] / r["naive_per_s"]
        lines.append(f"  naive fair scan {r['naive_per_s']:,.1f} quotes/s -> engine only x{ratio:,.0f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--walks", default="bench,spread")
    parser.add_argument("--frames", type=int, default=100_000, help="frames per flat-out phase")
    parser.add_argument("--prepare", nargs=2, metavar=("N", "PATH"))
    parser.add_argument("--run", nargs=3, metavar=("N", "PATH", "WALK"))
    args = parser.parse_args()
    if args.prepare:
        asyncio.run(prepare(int(args.prepare[0]), Path(args.prepare[1])))
        return
    if args.run:
        result = asyncio.run(run(int(args.run[0]), Path(args.run[1]), args.run[2], args.frames))
        print(json.dumps(result))
        return
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()} at start", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            for walk in args.walks.split(","):
                path = Path(tmp) / f"rules_{n}_{walk}.db"
                subprocess.run([sys.executable, __file__, "--prepare", str(n), str(path)], check=True)
                res = subprocess.run([sys.executable, __file__, "--run", str(n), str(path), walk,
                                      "--frames", str(args.frames)], check=True, capture_output=True, text=True)
                print(report(n, json.loads(res.stdout.strip().splitlines()[-1])), flush=True)
                path.unlink()


if __name__ == "__main__":
    main()
