"""Benchmark: alert firings persisted (`AlertService.deliver`), and through the outbox and the paced notifier.

Run: `.venv/bin/python benchmarks/alerts_outbox.py [--scenario all|deliver|notifier] [--firings 10000]
[--chats 100] [--spread 0] [--deliver-firings 50000] [--bursts 5000,500] [--url postgresql://…]`.

"deliver": firings persisted per second by `AlertService.deliver` alone (outbox row + fire state, one
transaction per burst, as the stream's `FiringWriter` writes them under a storm; a price alert's row is its
compact form, the text is rendered when the notifier reads it, so that read is timed too): 100k price rules of the
pipeline benchmark's realistic mix (benchmarks/pipeline_workload.py) loaded from the database into the
engine, the "spread" walk run until `--deliver-firings` firings are decided (not timed), then those firings
delivered in bursts of each `--bursts` size on a fresh copy of the database; firings/s by the wall clock
and per CPU-second (all threads: SQLite's work runs in its own), with the load average. `--url` runs it
on PostgreSQL instead (an empty database, made anew for each run and each burst size: the storage's master
key is new each time; the server's CPU is not counted, so there the wall clock is the figure).

"notifier": 10k firings across 100 chats through the persisted outbox and the paced notifier.

Real time, real SQLite file (tmp dir), real Notifier with the default Telegram pacing (1 msg/s per
chat with bursts of 3, 20/min per group, 25/s overall, 4096 characters per message). The target
is a fast in-memory recorder that timestamps each message with time.monotonic(), so the figures
measure the outbox and the notifier, not a network. Half the chats are groups (negative Telegram
ids); 2 % of the firings are critical; every firing is enqueued twice (the second is a duplicate
the outbox must drop). `--spread S` spreads the firings evenly over S seconds while the notifier
runs (0: one storm, enqueued as fast as possible). Two scenarios run: "backlog" (every firing is
already in the outbox when the notifier starts: a restart after an outage, or a storm faster than
the database) and "live" (the firings are enqueued while the notifier delivers).

Afterwards it checks, from the recorded send times: every firing delivered exactly once (sent or
summarised in a "+N more" line), every critical one shown in full text, no 1 s window over 25
messages, no chat over its burst + 1/s, no group over 20 in any 60 s window. The 1 s window is
counted twice: by the pacer (when it recorded each send) and at the target (when `send` ran).
Prints figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline_workload import ACCOUNT, SPECS, FrameClock, Walk, make_rules

from fxbot.alerts.engine import AlertEngine
from fxbot.alerts.firing import Firing
from fxbot.alerts.repository import AlertRepository
from fxbot.chat.types import ChatRef, Reply
from fxbot.notify.notification import Notification, Severity
from fxbot.notify.notifier import Notifier
from fxbot.notify.outbox import Outbox, OutboxState
from fxbot.notify.pacing import Pacer
from fxbot.notify.preferences import NotificationPreferences
from fxbot.services.alerts import AlertService
from fxbot.storage import Storage

TOLERANCE_S = 0.005  # the recorder's timestamp is taken a few µs after the pacer's


class RecordingTarget:
    """Records (monotonic time, chat id, reply) for each message; never fails, never waits."""

    platform: str = "telegram"
    message_limit: int | None = 4096

    def __init__(self) -> None:
        self.sent: list[tuple[float, str, Reply]] = []

    async def send(self, chat: ChatRef, reply: Reply) -> None:
        self.sent.append((time.monotonic(), chat.id, reply))


class TimedPacer(Pacer):
    """The default pacer, remembering when it admitted each send."""

    def __init__(self) -> None:
        super().__init__(time.monotonic)
        self.admitted: list[float] = []

    def record_send(self, platform: str, chat_id: str, *, group: bool) -> None:
        self.admitted.append(time.monotonic())
        super().record_send(platform, chat_id, group=group)


def firing(i: int, chat_id: str, rng: random.Random) -> Notification:
    critical = rng.random() < 0.02
    symbol = rng.choice(("EURUSD", "GBPUSD", "USDJPY", "XAUUSD", "AUDUSD"))
    level = round(rng.uniform(1.0, 1.2), 5)
    title = f"STOP-OUT #{i}" if critical else f"{symbol} crossed {level} #{i}"
    return Notification(
        chat_id,
        Severity.CRITICAL if critical else rng.choice((Severity.INFO, Severity.WARNING)),
        title,
        (f"Bid {level + 0.0001:.5f} at 14:30:{i % 60:02d} UTC", f"Rule #{i}: {symbol} above {level}"),
        f"alert:{i}:0",
        "margin_alert" if critical else "price_alert",
        created_at=datetime.now(UTC),
    )


def max_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - window + TOLERANCE_S:
            j += 1
        best = max(best, i - j + 1)
    return best


async def main(args: argparse.Namespace) -> None:
    if args.scenario in ("all", "deliver"):
        await deliver_scenario(args.deliver_firings, [int(b) for b in args.bursts.split(",")], args.url)
        print()
    if args.scenario in ("all", "notifier"):
        for backlog in (True, False):
            await scenario(args.firings, args.chats, args.spread, args.seed, backlog=backlog)
            print()


async def decided_firings(storage: Storage, n_firings: int) -> tuple[AlertEngine, list[Firing], FrameClock]:
    """100k rules of the realistic mix loaded into an engine, and the firings of the spread walk (not stored)."""
    repo = AlertRepository(storage.db)
    await repo.add_many(make_rules(100_000, seed=1))
    engine = AlertEngine()
    await repo.load_into(engine)
    clock = FrameClock()
    for spec in SPECS:  # the first quote of each symbol syncs the rules loaded without a price
        engine.on_quote(ACCOUNT, spec.symbol, spec.reference_price,
                        spec.reference_price + spec.typical_spread_points / 10**spec.digits, clock())
    walk = Walk("spread", seed=7)
    firings: list[Firing] = []
    while len(firings) < n_firings:
        for symbol, bid, ask, _ in walk.quotes(1_000):
            firings += engine.on_quote(ACCOUNT, symbol, bid, ask, clock())
    return engine, firings, clock


async def deliver_scenario(n_firings: int, bursts: list[int], url: str | None) -> None:
    print(f"== deliver alone: firings persisted (outbox row + fire state), {'PostgreSQL' if url else 'SQLite'}")
    for burst in bursts:
        with tempfile.TemporaryDirectory() as tmp:
            async with await Storage.open(Path(tmp) / "deliver.db", {}, url=url) as storage:
                engine, firings, clock = await decided_firings(storage, n_firings)
                service = AlertService(storage=storage, brokers=cast(Any, None), outbox=Outbox(storage.db),
                                       preferences=NotificationPreferences(storage.db), clock=clock, engine=engine)
                load = os.getloadavg()[0]
                server = await server_cpu(storage) if url else None
                wall, cpu = time.perf_counter(), time.process_time()
                stored = 0
                for start in range(0, len(firings), burst):
                    stored += await service.deliver(firings[start:start + burst])
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                server_after = await server_cpu(storage) if url else None
                rules = len({f.rule_id for f in firings})
                print(f"bursts of {burst:,}: {len(firings):,} firings of {rules:,} rules, {stored:,} outbox rows:"
                      f" {len(firings) / wall:,.0f} firings/s wall, {len(firings) / cpu:,.0f} per CPU-s"
                      f" ({cpu * 1e6 / len(firings):.1f} µs CPU a firing; load average {load:.2f})", flush=True)
                if server is not None and server_after is not None:
                    both = cpu + server_after - server
                    server_us = (server_after - server) * 1e6 / len(firings)
                    print(f"  server (its backends of this database): {server_us:.1f} µs CPU a firing;"
                          f" bot + server {len(firings) / both:,.0f} firings per CPU-s", flush=True)
                read = time.process_time()
                items = await service.outbox.pending()  # what the notifier reads: compact alerts rendered here
                read = time.process_time() - read
                print(f"  read back for sending: {len(items):,} items, {read * 1e6 / len(items):.1f} µs CPU an item"
                      f" (rows, text rendered from a compact form, Notification)", flush=True)


async def server_cpu(storage: Storage) -> float | None:
    """CPU seconds used so far by the server processes of this database's connections (a local server whose
    /proc we can read), else None. The pool keeps its connections, so the same processes are read after."""
    pids = await storage.db.fetch_all("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
    return process_cpu([int(pid) for (pid,) in pids])


def process_cpu(pids: list[int]) -> float | None:
    """CPU seconds (user + system) of these processes, from /proc; None when one cannot be read."""
    ticks = 0
    try:
        for pid in pids:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    except (OSError, ValueError, IndexError):
        return None
    return ticks / os.sysconf("SC_CLK_TCK")


async def scenario(n_firings: int, n_chats: int, spread: float, seed: int, *, backlog: bool) -> None:
    rng = random.Random(seed)
    chats = [f"telegram:-100{i}" if i % 2 else f"telegram:{1000 + i}" for i in range(n_chats)]
    notes = [firing(i, rng.choice(chats), rng) for i in range(n_firings)]
    criticals = {n.title for n in notes if n.is_critical}
    with tempfile.TemporaryDirectory() as tmp:
        async with await Storage.open(Path(tmp) / "bench.db", {}) as storage:
            outbox = Outbox(storage.db)
            target = RecordingTarget()
            pacer = TimedPacer()
            notifier = Notifier(outbox, {"telegram": target}, pacer=pacer)
            enqueued_at: dict[str, float] = {}
            start = time.monotonic()
            runner = None if backlog else asyncio.create_task(notifier.run())
            accepted = duplicates = 0
            for i, n in enumerate(notes):
                if spread:
                    await asyncio.sleep(max(0.0, start + spread * i / n_firings - time.monotonic()))
                enqueued_at[n.title] = time.monotonic()
                accepted += await outbox.enqueue(n)
                duplicates += not await outbox.enqueue(n)  # the re-fire after a crash
            enqueue_s = time.monotonic() - start
            if runner is None:
                start = time.monotonic()
                runner = asyncio.create_task(notifier.run())
            drained = await notifier.drain(timeout=600)
            total_s = time.monotonic() - start
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)
            counts = await outbox.counts()

    per_chat: dict[str, list[float]] = defaultdict(list)
    for at, chat_id, _ in target.sent:
        per_chat[chat_id].append(at)
    messages = Counter(chat_id for _, chat_id, _ in target.sent)
    text = "\n".join(reply.plain_text for _, _, reply in target.sent)
    shown_criticals = sum(1 for title in criticals if f"{title}\n" in text or text.endswith(title))
    summarised = sum(int(block.split()[0][1:]) for _, _, r in target.sent for block in r.text
                     if block.startswith("+") and " more (" in block)
    latency_crit = [at - max(enqueued_at[t], start) for at, _, r in target.sent for t in _titles(r) if t in criticals]
    worst_chat = max(max_in_window(times, 5.0) for times in per_chat.values())
    worst_group = max((max_in_window(times, 60.0) for chat, times in per_chat.items() if "-100" in chat),
                      default=0)

    print(f"== {'backlog: all firings enqueued before the notifier starts' if backlog else 'live storm'}")
    print(f"firings: {n_firings} across {n_chats} chats ({n_chats // 2} groups), spread {spread:g} s,"
          f" {len(criticals)} critical")
    print(f"enqueue: {accepted} accepted, {duplicates} duplicates dropped, "
          f"{2 * n_firings / enqueue_s:,.0f} enqueue calls/s")
    print(f"delivered: drained={drained} in {total_s:.1f} s after the notifier started;"
          f" outbox sent={counts[OutboxState.SENT]} pending={counts[OutboxState.PENDING]}"
          f" failed={counts[OutboxState.FAILED]}")
    print(f"messages: {len(target.sent)} total; per chat min {min(messages.values())}"
          f" / median {statistics.median(messages.values()):g} / max {max(messages.values())};"
          f" items shown in full {n_firings - summarised}, summarised in '+N more' {summarised}")
    print(f"critical: {shown_criticals}/{len(criticals)} shown in full; enqueue->send latency"
          f" p50 {_pct(latency_crit, 50):.2f} s, max {max(latency_crit, default=0):.2f} s")
    print(f"pacing: max {max_in_window(pacer.admitted, 1.0)} msgs in any 1 s by the pacer (limit 25),"
          f" {max_in_window([a for a, _, _ in target.sent], 1.0)} at the target;"
          f" max {worst_chat} per chat in any 5 s (limit 3+5=8);"
          f" max {worst_group} per group in any 60 s (limit 20)")
    sizes = [len(r.plain_text) for _, _, r in target.sent]
    print(f"message size: median {statistics.median(sizes):g} chars, max {max(sizes)} (limit 4096)")


def _titles(reply: Reply) -> list[str]:
    if len(reply.text) <= 1 and reply.title:
        return [reply.title]
    return [block.splitlines()[0].split(" ", 1)[1] for block in reply.text if not block.startswith("+")]


def _pct(values: list[float], pct: int) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, len(ordered) * pct // 100)]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scenario", choices=("all", "deliver", "notifier"), default="all")
    parser.add_argument("--firings", type=int, default=10_000)
    parser.add_argument("--chats", type=int, default=100)
    parser.add_argument("--spread", type=float, default=0.0, help="seconds over which firings arrive")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--deliver-firings", type=int, default=50_000)
    parser.add_argument("--bursts", default="5000,500", help="firings per deliver() transaction, comma-separated")
    parser.add_argument("--url", default=None, help="an empty PostgreSQL database for the deliver scenario")
    parsed = parser.parse_args()
    if parsed.url and "," in parsed.bursts:
        parser.error("with --url give one burst size (--bursts 5000): each run needs an empty database")
    asyncio.run(main(parsed))
