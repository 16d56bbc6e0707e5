"""Benchmark: FxSocketClient get_quote throughput vs bare httpx, against the in-process simulator.

Run: `.venv/bin/python benchmarks/bench_client.py [--requests N] [--concurrency C]`.

The simulator is started in-process on a free loopback port with its rate limit raised to 10**9/s,
and the client's pacing is "disabled" by giving it `RequestPacer(max_requests=10**9)`, so both
sides measure raw request cost. A last run uses the default pacer (60 requests/s per account) to
show the paced rate. A MockTransport run isolates the client's own CPU overhead (no server).
Prints figures only; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this tree's fxbot, not an installed one

import httpx

from fxbot.fxsocket.client import FxSocketClient
from fxbot.fxsocket.pacing import RequestPacer
from fxbot.simulator.config import SimConfig
from fxbot.simulator.runner import start_simulator

QUOTE_JSON = {"symbol": "EURUSD", "bid": 1.0834, "ask": 1.08342, "spread": 0.2,
              "time": "2026-04-02T14:30:00.123Z"}


async def run(n: int, concurrency: int, call: Callable[[], Awaitable[object]]) -> float:
    """Requests per second for `n` calls spread over `concurrency` workers."""
    remaining = n

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await call()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return n / (time.perf_counter() - started)


async def main(n: int, concurrency: int) -> None:
    config = SimConfig(port=0, seed=1, market_paused=True, rate_limit_per_s=10**9, log_level="error")
    async with await start_simulator(config) as sim, httpx.AsyncClient() as http:
        key = sim.keys["read-only"]
        url = f"{sim.base_url}/v1/quotes/EURUSD"
        headers = {"Authorization": f"Bearer {key}"}

        async def bare() -> object:
            response = await http.get(url, headers=headers)
            response.raise_for_status()
            return json.loads(response.content)

        unpaced = FxSocketClient(http, api_key=key, base_url=sim.base_url, pacer=RequestPacer(10**9))
        paced = FxSocketClient(http, api_key=key, base_url=sim.base_url)

        await run(200, concurrency, bare)  # warm up connections and the server
        print(f"simulator get_quote, {n} requests, concurrency {concurrency}")
        for label_c, c in (("concurrent", concurrency), ("sequential", 1)):
            # Alternate the two and keep the best of three rounds each, to even out warm-up and noise.
            bare_rps = client_rps = 0.0
            for _ in range(3):
                bare_rps = max(bare_rps, await run(n, c, bare))
                client_rps = max(client_rps, await run(n, c, lambda: unpaced.get_quote("EURUSD")))
            print(f"  {label_c:10s} bare httpx: {bare_rps:8.0f} req/s   FxSocketClient (pacer off): "
                  f"{client_rps:8.0f} req/s   overhead ratio bare/client = {bare_rps / client_rps:.2f}")
        paced_n = 300
        paced_rps = await run(paced_n, concurrency, lambda: paced.get_quote("EURUSD"))
        print(f"  FxSocketClient with the default pacer (60/s per account), {paced_n} requests: "
              f"{paced_rps:.1f} req/s overall (the first 60 go at once, then one window per 60)")

    await isolated(n * 5)


async def isolated(m: int) -> None:
    """The client's own cost: MockTransport (no server, no socket) under both, bare httpx vs FxSocketClient.
    The goal is a ratio client/bare time per call of at most 1.2."""
    headers = {"Authorization": "Bearer sk_test_bench"}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=QUOTE_JSON)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as mock_http:
        mock_client = FxSocketClient(mock_http, api_key="sk_test_bench", base_url="http://mock",
                                     pacer=RequestPacer(10**9))

        async def bare_mock() -> object:
            response = await mock_http.get("http://mock/v1/quotes/EURUSD", headers=headers)
            response.raise_for_status()
            return json.loads(response.content)

        await run(m // 5, 1, bare_mock)  # warm up both
        await run(m // 5, 1, lambda: mock_client.get_quote("EURUSD"))
        bare_rps = client_rps = 0.0
        bare_cpu = client_cpu = float("inf")
        for _ in range(5):  # alternate, keep the best round of each (noise on a shared machine only slows down)
            cpu = time.process_time()
            bare_rps = max(bare_rps, await run(m, 1, bare_mock))
            bare_cpu = min(bare_cpu, (time.process_time() - cpu) / m)
            cpu = time.process_time()
            client_rps = max(client_rps, await run(m, 1, lambda: mock_client.get_quote("EURUSD")))
            client_cpu = min(client_cpu, (time.process_time() - cpu) / m)
        extra_us = (1 / client_rps - 1 / bare_rps) * 1e6
        print(f"MockTransport (no server), {m} sequential calls, best of 5 alternated rounds:")
        print(f"  bare httpx {bare_rps:8.0f}/s ({bare_cpu * 1e6:.1f} µs CPU per call)   FxSocketClient "
              f"{client_rps:8.0f}/s ({client_cpu * 1e6:.1f} µs CPU per call)")
        print(f"  isolated ratio client/bare = {bare_rps / client_rps:.2f}x wall, {client_cpu / bare_cpu:.2f}x CPU "
              f"(goal <= 1.2x); the client adds {extra_us:.0f} µs per call; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--isolated-only", action="store_true", help="only the MockTransport comparison")
    args = parser.parse_args()
    asyncio.run(isolated(args.requests * 5) if args.isolated_only else main(args.requests, args.concurrency))
