"""Benchmark of bot-managed trailing stops: 10k rules judged per quote, and modifications sent in a fast market.

Run: `.venv/bin/python benchmarks/bench_trailing.py [--rules 10000] [--accounts 10] [--seconds 5]`.
Prints figures; asserts nothing.

Phase 1 (evaluation): the rules are spread over the known symbols and `--accounts` accounts; a random walk
of quotes is fed to ManagementService.on_quote with every wanted stop taken as confirmed at once (no I/O),
so only judging is timed (quotes/s and rule evaluations/s).
Phase 2 (fast market): every symbol trends a pip per quote for `--seconds`, flat out; the stops go through
the real executor (coalesced per position, one modify in flight per account) to a broker stub that answers
after `--latency-ms` behind the same per-account RequestPacer the real clients use (60 requests/s), with
the real access checks, SQLite state writes and outbox notifications. Reported: modifications sent per
second in all and the busiest one-second window of any account against the pacer's limit.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fxbot.domain.access import Role, Scope
from fxbot.domain.broker import ModifyResult, OrderChanges, Quote
from fxbot.domain.instruments import INSTRUMENTS
from fxbot.fxsocket.pacing import RequestPacer
from fxbot.management.rules import ManagedRule
from fxbot.management.service import ManagementService
from fxbot.notify.outbox import Outbox
from fxbot.notify.preferences import NotificationPreferences
from fxbot.storage import Storage
from fxbot.storage.timestamps import to_db

T0 = datetime(2026, 12, 1, 12, tzinfo=UTC)
CHAT = "telegram:-100"
OWNER = "telegram:1"


class PacedBroker:
    """modify_order behind a per-account RequestPacer, answering after a fixed latency; records send times."""

    def __init__(self, pacer: RequestPacer, latency_s: float) -> None:
        self.pacer = pacer
        self.latency_s = latency_s
        self.sent: dict[str, list[float]] = defaultdict(list)

    async def modify_order(self, order_id: str, changes: OrderChanges, *, account_id: str | None = None
                           ) -> ModifyResult:
        async with self.pacer.slot(account_id or "-"):
            self.sent[account_id or "-"].append(time.monotonic())
            await asyncio.sleep(self.latency_s)
        return ModifyResult(id=order_id, sl=changes.sl, updated=True)


class Brokers:
    def __init__(self, broker: PacedBroker) -> None:
        self.broker = broker

    async def for_key(self, key_id: int) -> PacedBroker:
        return self.broker


async def prepare(storage: Storage, rules: int, accounts: int) -> list[str]:
    key = await storage.keys.add(OWNER, "main", "sk_bench_trailing_00000000000001", Scope.TRADE)
    await storage.bindings.bind(CHAT, key.id, OWNER, account_id="acc_0")
    await storage.members.set_role(CHAT, OWNER, Role.TRADER, "Bench")
    symbols = sorted(INSTRUMENTS)
    rng = random.Random(7)
    rows = []
    for i in range(rules):
        symbol = symbols[i % len(symbols)]
        spec = INSTRUMENTS[symbol]
        entry = spec.to_points(spec.reference_price) + rng.randint(-200, 200)
        pip = round(spec.pip_size / spec.point)
        rows.append((CHAT, OWNER, 0, key.id, f"acc_{i % accounts}", f"pos_{i}", symbol, "BUY", 0.1, entry, "trail",
                     rng.choice((10, 15, 20, 30)) * pip, rng.choice((0, 2, 5)) * pip, 0, 0, entry - 50 * pip,
                     "active", to_db(T0)))
    await storage.db.execute_many(
        "INSERT INTO managed_stops (chat_id, owner_id, private_chat, key_id, account_id, position_id, symbol, side,"
        " volume, entry_points, kind, distance_points, step_points, trigger_points, offset_points, stop_points,"
        " status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return symbols


def quote(symbol: str, points: int) -> Quote:
    spec = INSTRUMENTS[symbol]
    bid = spec.from_points(points)
    return Quote(symbol=symbol, bid=bid, ask=spec.from_points(points + spec.typical_spread_points), time=T0)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rules", type=int, default=10_000)
    parser.add_argument("--accounts", type=int, default=10)
    parser.add_argument("--quotes", type=int, default=20_000, help="quotes judged in phase 1")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of the fast market in phase 2")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=1000.0, help="quotes per second in the fast market")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        async with await Storage.open(Path(tmp) / "bench.db", {}) as storage:
            symbols = await prepare(storage, args.rules, args.accounts)
            pacer = RequestPacer()
            broker = PacedBroker(pacer, args.latency_ms / 1000)
            stops = ManagementService(storage=storage, brokers=cast(Any, Brokers(broker)),
                                      outbox=Outbox(storage.db, lambda: T0),
                                      preferences=NotificationPreferences(storage.db), clock=lambda: T0)
            started = time.perf_counter()
            loaded = await stops.load()
            print(f"loaded {loaded} trailing rules over {len(symbols)} symbols and {args.accounts} accounts "
                  f"in {time.perf_counter() - started:.2f} s")
            accounts = [f"acc_{i}" for i in range(args.accounts)]

            # Phase 1: judging only; a wanted stop counts as sent and confirmed at once (no I/O).
            queued = 0
            real_submit = stops.executor.submit

            def count(rule: ManagedRule, stop: int) -> None:
                nonlocal queued
                queued += 1
                rule.stop_points, rule.pending_points = stop, None
                stops._schedule(rule)  # back in its heap at its next due price, as after a confirmed move

            stops.executor.submit = count  # type: ignore[method-assign,assignment]
            rng = random.Random(1)
            price = {s: INSTRUMENTS[s].to_points(INSTRUMENTS[s].reference_price) for s in symbols}
            walk = []
            for _ in range(args.quotes):
                symbol = rng.choice(symbols)
                price[symbol] += rng.randint(-3, 4)
                walk.append(quote(symbol, price[symbol]))
            before = stops.evaluated
            started = time.perf_counter()
            for q in walk:
                stops.on_quote(accounts, q)
            spent = time.perf_counter() - started
            evaluated = stops.evaluated - before
            print(f"phase 1: {len(walk)} quotes in {spent:.3f} s = {len(walk) / spent:,.0f} quotes/s; "
                  f"{evaluated:,} rule evaluations = {evaluated / spent:,.0f}/s; "
                  f"{queued:,} stops wanted ({len(walk) / max(queued, 1):.2f} quotes per wanted stop)")
            stops.executor.submit = real_submit  # type: ignore[method-assign]
            await stops.load()  # phase 2 starts from the stored rules again

            # Phase 2: a fast market through the executor, pacer and SQLite.
            quotes_fed = 0
            wanted_before = stops.evaluated
            judging = 0.0
            started = time.monotonic()
            while time.monotonic() - started < args.seconds:
                due = started + quotes_fed / args.rate  # paced like a stream: the loop serves the rest meanwhile
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                symbol = symbols[quotes_fed % len(symbols)]
                price[symbol] += round(INSTRUMENTS[symbol].pip_size / INSTRUMENTS[symbol].point)
                tick = time.perf_counter()
                stops.on_quote(accounts, quote(symbol, price[symbol]))
                judging += time.perf_counter() - tick
                quotes_fed += 1
            elapsed = time.monotonic() - started
            in_flight_at_end = stops.executor.queued
            await stops.executor.aclose()
            sent = sum(len(v) for v in broker.sent.values())
            busiest = 0
            for times in broker.sent.values():
                times.sort()
                j = 0
                for i, t in enumerate(times):
                    while times[j] < t - 1.0:
                        j += 1
                    busiest = max(busiest, i - j + 1)
            print(f"phase 2: {quotes_fed:,} quotes in {elapsed:.2f} s ({quotes_fed / elapsed:,.0f} quotes/s, "
                  f"{stops.evaluated - wanted_before:,} evaluations, judging {judging / elapsed:.0%} of the time); "
                  f"{sent:,} modifications sent = "
                  f"{sent / elapsed:,.1f}/s in all, {sent / elapsed / args.accounts:,.1f}/s per account; busiest "
                  f"1-second window of one account: {busiest} (pacer limit {pacer.max_requests} per "
                  f"{pacer.window_s:g} s); {in_flight_at_end:,} positions still waiting for their latest stop")


if __name__ == "__main__":
    asyncio.run(main())
