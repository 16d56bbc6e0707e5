"""Benchmark: SimEngine.tick() throughput with 1,000 open positions (SL/TP) and pending orders."""

from __future__ import annotations

import random
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from fxbot.domain.instruments import INSTRUMENTS
from fxbot.simulator.accounts_config import DEFAULT_ACCOUNTS
from fxbot.simulator.engine import SimEngine

POSITIONS = 1_000
PENDING = 200
TICKS = 2_000
START = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)


def build() -> SimEngine:
    # Same two accounts, funded enough to carry 1,000 positions.
    accounts = [replace(spec, balance=spec.balance * 1_000) for spec in DEFAULT_ACCOUNTS]
    engine = SimEngine(seed=42, start_time=START, accounts=accounts)
    rng = random.Random(1)
    symbols = engine.symbols()
    ids = engine.account_ids()
    for n in range(POSITIONS + PENDING):
        symbol = symbols[n % len(symbols)]
        spec = INSTRUMENTS[symbol]
        quote = engine.quote(symbol)
        side = "BUY" if n % 2 == 0 else "SELL"
        distance = spec.pip_size * rng.randint(150, 600)
        if n < POSITIONS:
            entry = quote["ask"] if side == "BUY" else quote["bid"]
            sl = entry - distance if side == "BUY" else entry + distance
            tp = entry + distance if side == "BUY" else entry - distance
            engine.place_order(
                ids[n % 2],
                symbol=symbol,
                type=side,
                volume=0.01,
                price=None,
                sl=round(sl, spec.digits),
                tp=round(tp, spec.digits),
                comment=None,
                now=START,
            )
        else:
            price = quote["ask"] - distance if side == "BUY" else quote["bid"] + distance
            engine.place_order(
                ids[n % 2],
                symbol=symbol,
                type=f"{side}_LIMIT",
                volume=0.01,
                price=round(price, spec.digits),
                sl=None,
                tp=None,
                comment=None,
                now=START,
            )
    return engine


def measure(engine: SimEngine, step: timedelta, label: str) -> None:
    """Tick every symbol TICKS times, `step` apart, and print ticks/s and events/s."""
    events = 0
    kinds: dict[str, int] = {}
    began = time.perf_counter()
    for n in range(1, TICKS + 1):
        for event in engine.tick(START + step * n):
            kinds[event.type] = kinds.get(event.type, 0) + 1
            events += 1
    elapsed = time.perf_counter() - began
    left = sum(len(engine.positions(a)) for a in engine.account_ids())
    print(
        f"[{label}] {TICKS} ticks in {elapsed:.3f} s: {TICKS / elapsed:,.0f} ticks/s "
        f"({TICKS * len(engine.symbols()) / elapsed:,.0f} symbol updates/s), "
        f"{events / elapsed:,.0f} events/s; "
        f"positions left {left}"
    )
    print(f"[{label}] events:", ", ".join(f"{k}={v}" for k, v in sorted(kinds.items())))


def main() -> None:
    engine = build()
    opened = sum(len(engine.positions(a)) for a in engine.account_ids())
    waiting = sum(len(engine.pending_orders(a)) for a in engine.account_ids())
    print(f"open positions: {opened}, pending orders: {waiting}, symbols: {len(engine.symbols())}")
    measure(engine, timedelta(milliseconds=250), "250 ms steps, quiet market")
    measure(build(), timedelta(minutes=1), "1 min steps, SL/TP/pending firing, swaps")
    began = time.perf_counter()
    for account in engine.account_ids():
        engine.positions(account)
    print(f"positions() for both accounts: {(time.perf_counter() - began) * 1000:.1f} ms")
    began = time.perf_counter()
    engine.candles("EURUSD", "H1", None, None, 5000, START)
    first = time.perf_counter() - began
    began = time.perf_counter()
    engine.candles("EURUSD", "H1", None, None, 5000, START)
    print(
        f"candles H1 x5000: first {first * 1000:.0f} ms (generates history), "
        f"then {(time.perf_counter() - began) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
