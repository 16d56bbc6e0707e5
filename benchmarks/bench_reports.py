"""Benchmark: digest build time and chart render time for an account with 10,000 closed trades.

Run: .venv/bin/python benchmarks/bench_reports.py [--trades 10000] [--runs 5]

The trades are generated through the simulator's engine directly (SimEngine.place_order/close_order with
explicit times spread over the 24 hours before the digest slot), then read back the way the bot reads
them: the in-process simulator over loopback HTTP (10 history pages of 1,000), through build_services with
a real SQLite storage. Figures: the report (fetch + arithmetic), the whole digest (report + equity-curve
PNG rendered in a worker thread), the pure arithmetic on 10k trades, and /chart renders (120 and 500 H1
bars with positions and orders drawn). The simulator's rate limit and the client pacer are raised so they
do not distort the figures. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from cryptography.fernet import Fernet

from fxbot.chat.types import ChatKind, ChatRef
from fxbot.domain.access import Scope
from fxbot.fxsocket.models import Timeframe
from fxbot.fxsocket.pacing import RequestPacer
from fxbot.scheduling.digest_times import SlotRule, previous_slot
from fxbot.services.container import build_services
from fxbot.services.pnl_figures import trade_figures
from fxbot.simulator.config import SimConfig
from fxbot.simulator.runner import start_simulator
from fxbot.storage import Storage

SYMBOLS = ("EURUSD", "GBPUSD", "USDJPY", "XAUUSD", "AUDUSD")
CHAT = ChatRef(id="console:bench", kind=ChatKind.PRIVATE, platform="console")


def generate_trades(engine: Any, count: int, end: datetime) -> None:
    """`count` closed trades on the engine's first account, closing evenly over the day before `end`."""
    account = engine.account_ids()[0]
    step = timedelta(days=1) / (count + 1)
    for n in range(count):
        symbol = SYMBOLS[n % len(SYMBOLS)]
        closed = end - timedelta(days=1) + step * (n + 1)
        opened = closed - step / 2
        quote = engine.quote(symbol)
        engine.set_quote(symbol, quote["bid"], None, opened)
        placed, _ = engine.place_order(account, symbol=symbol, type="BUY" if n % 3 else "SELL", volume=0.01,
                                       price=None, sl=None, tp=None, comment=None, now=opened)
        drift = (1 if n % 2 else -1) * (n % 7 + 1) * (0.0001 if "JPY" not in symbol else 0.01)
        drift = drift * (1000 if symbol == "XAUUSD" else 1)
        engine.set_quote(symbol, round(quote["bid"] + drift, 5), None, closed)
        engine.close_order(account, placed["position_id"], None, closed)


async def timed(label: str, runs: int, step: Callable[[], Awaitable[object]]) -> None:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        await step()
        samples.append((time.perf_counter() - started) * 1000.0)
    print(f"{label:<58} median {statistics.median(samples):8.1f} ms   min {min(samples):8.1f} ms"
          f"   max {max(samples):8.1f} ms   ({runs} runs)")


async def main(count: int, runs: int) -> None:
    config = SimConfig(host="127.0.0.1", port=0, seed=7, market_paused=True, rate_limit_per_s=100_000)
    async with await start_simulator(config) as sim:
        engine = sim.state.engine
        slot = previous_slot(SlotRule.for_kind("daily", 17, 0, ZoneInfo("America/New_York")),
                             datetime.now(UTC))
        started = time.perf_counter()
        generate_trades(engine, count, slot)
        print(f"generated {count} closed trades on the engine in {time.perf_counter() - started:.2f} s")
        account = engine.account_ids()[0]
        now = datetime.now(UTC)
        engine.place_order(account, symbol="EURUSD", type="BUY", volume=0.1, price=None, sl=1.05, tp=1.15,
                           comment=None, now=now)
        engine.place_order(account, symbol="EURUSD", type="SELL_LIMIT", volume=0.1, price=1.2, sl=None, tp=None,
                           comment=None, now=now)
        with tempfile.TemporaryDirectory() as folder:
            env = {"FXBOT_SECRET_KEY": Fernet.generate_key().decode()}
            storage = await Storage.open(Path(folder) / "bench.db", env)
            services = await build_services(storage, http=httpx.AsyncClient(timeout=30), base_url=sim.base_url,
                                            stream_url=sim.stream_url, clock=lambda: datetime.now(UTC),
                                            pacer=RequestPacer(max_requests=100_000))
            try:
                key = await storage.keys.add("console:me", "bench", sim.keys["read-only"], Scope.READ_ONLY)
                await storage.bindings.bind(CHAT.id, key.id, "console:me")
                schedule = await services.digests.enable(CHAT, "console:me", "daily", None, None)
                content = await services.digests.build(schedule, slot)
                report = content.report
                print(f"digest of {slot:%Y-%m-%d %H:%M} UTC: {report.figures.trades} trades, net "
                      f"{report.figures.net:,.2f} {report.currency}, {len(report.curve)} curve points, "
                      f"PNG {len(content.image.png) if content.image else 0:,} bytes")
                trades = list(report.trades)

                async def arithmetic() -> None:
                    trade_figures(trades)

                await timed("P&L arithmetic on the trades (pure)", runs, arithmetic)
                await timed("report: history over HTTP + figures", runs,
                            lambda: services.reports.build(CHAT.id, report.period))
                await timed("digest: report + equity-curve PNG (worker thread)", runs,
                            lambda: services.digests.build(schedule, slot))
                zone = ZoneInfo("UTC")
                await timed("/chart EURUSD H1 120 bars (candles + render)", runs,
                            lambda: services.charts.symbol_chart(CHAT.id, "EURUSD", Timeframe.H1, 120, zone))
                await timed("/chart EURUSD H1 500 bars (candles + render)", runs,
                            lambda: services.charts.symbol_chart(CHAT.id, "EURUSD", Timeframe.H1, 500, zone))
            finally:
                await services.close()
                await storage.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trades", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    asyncio.run(main(options.trades, options.runs))
